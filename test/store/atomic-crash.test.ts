/**
 * The atomicity guarantee under real process death, and ENOSPC from a real full filesystem.
 * Child processes run the compiled store module, see compiled.ts.
 */
import { spawn, spawnSync } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanTempFiles } from "../../src/store/atomic.js";
import { useTempDirs } from "../helpers/tmp.js";
import { compileStore } from "./compiled.js";

const tempDir = useTempDirs();
let atomicUrl = "";
let cleanup: (() => Promise<void>) | undefined;

beforeAll(async () => {
  const compiled = await compileStore(["atomic"]);
  atomicUrl = compiled.urls.atomic!;
  cleanup = compiled.cleanup;
});
afterAll(async () => cleanup?.());

const SIZE = 4 << 20;

/** Rewrites out/big.age forever, alternating all-'a' and all-'b' content of SIZE bytes. */
const WRITER = `
const [url, root, size] = process.argv.slice(1);
const { writeFileAtomic } = await import(url);
const contents = [Buffer.alloc(Number(size), 0x61), Buffer.alloc(Number(size), 0x62)];
process.stdout.write("ready\\n");
for (let i = 0; ; i++) await writeFileAtomic(root, "out/big.age", contents[i % 2]);
`;

function runUntilKilled(root: string, delayMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", WRITER, atomicUrl, root, String(SIZE)], { stdio: ["ignore", "pipe", "inherit"] });
    child.stdout.once("data", () => setTimeout(() => child.kill("SIGKILL"), delayMs));
    child.on("error", reject);
    child.on("exit", (_code, signal) => (signal === "SIGKILL" ? resolve() : reject(new Error(`writer exited on its own (${String(_code)})`))));
  });
}

describe("writeFileAtomic under SIGKILL", () => {
  it("leaves the target absent, old or new, never partial (20 random kills)", async () => {
    const root = await tempDir();
    const seen = { absent: 0, a: 0, b: 0 };
    for (let i = 0; i < 20; i++) {
      await runUntilKilled(root, Math.floor(Math.random() * 300));
      const data = await readFile(path.join(root, "out/big.age")).catch(() => undefined);
      if (data === undefined) {
        seen.absent++;
        continue;
      }
      expect(data.length).toBe(SIZE);
      const first = data[0]!;
      expect([0x61, 0x62]).toContain(first);
      expect(data.every((byte) => byte === first)).toBe(true);
      seen[first === 0x61 ? "a" : "b"]++;
    }
    expect(seen.a + seen.b).toBeGreaterThan(0); // the test did exercise replacement, not only absence
    // whatever a kill left behind is only temp files, and cleanTempFiles gets rid of them
    const left = await readdir(path.join(root, "out"));
    expect(left.filter((f) => f !== "big.age").every((f) => /^\.big\.age\.rekey-tmp-[0-9a-f]{16}$/.test(f))).toBe(true);
    expect(cleanTempFiles(root, ["out"])).toBe(left.length - 1);
    expect(await readdir(path.join(root, "out"))).toEqual(["big.age"]);
  });
});

/** True if we can mount a tiny tmpfs in a user namespace (Linux, unprivileged user namespaces on). */
function canMountTmpfs(): boolean {
  const probe = spawnSync("unshare", ["-rm", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /tmp"], { stdio: "ignore" });
  return probe.status === 0;
}

const FILLER = `
const [url, dir] = process.argv.slice(1);
const { writeFileAtomic } = await import(url);
const { readdirSync, readFileSync } = await import("node:fs");
await writeFileAtomic(dir, "x.age", "old");
let error;
try { await writeFileAtomic(dir, "x.age", Buffer.alloc(1 << 20, 1)); } catch (e) { error = { code: e.code, message: e.message, file: e.file }; }
process.stdout.write(JSON.stringify({ error, left: readdirSync(dir).sort(), content: readFileSync(dir + "/x.age", "utf8") }));
`;

describe.skipIf(!canMountTmpfs())("writeFileAtomic on a really full filesystem (tmpfs of 256 KiB)", () => {
  it("reports 'disk full while writing <rel>', keeps the old file and leaves no temp", async () => {
    const mnt = await tempDir();
    const script = 'mount -t tmpfs -o size=256k tmpfs "$1" && exec "$2" --input-type=module -e "$3" "$4" "$1"';
    const run = spawnSync("unshare", ["-rm", "sh", "-c", script, "sh", mnt, process.execPath, FILLER, atomicUrl], { encoding: "utf8" });
    expect(run.stderr).toBe("");
    expect(JSON.parse(run.stdout)).toEqual({
      error: { code: "IO", message: "disk full while writing x.age", file: "x.age" },
      left: ["x.age"],
      content: "old",
    });
  });
});
