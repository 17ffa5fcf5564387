/**
 * Plaintext hygiene (SPEC "Guarantees": no plaintext on disk): every command runs on
 * secrets that hold a unique marker, then the repository, the temp folder and the tmpfs
 * folders are searched for the marker's raw bytes. Only `view`'s stdout may show it.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, hasBuiltCommand, projectRoot, type RunResult } from "../e2e/helpers.js";
import { useTempDirs } from "../helpers/tmp.js";
import { generateX25519Identity, x25519RecipientOf } from "../../src/crypto/index.js";
import { makeFleet } from "./fleet.js";

const bin = path.join(projectRoot, "bin/rekey.js");

/** True when the built CLI knows `name` (its module compiled and the command is registered). */
function hasCommand(name: string): boolean {
  return hasBuiltCommand(name) && spawnSync(process.execPath, [bin, name, "--help"], { stdio: "ignore" }).status === 0;
}

/** Files under `dir` (not following symlinks) changed since `sinceMs` whose bytes contain `needle`. */
function findMarker(dir: string, needle: Buffer, sinceMs: number, found: string[] = []): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return found; // unreadable, or gone: another process's business
  }
  for (const e of entries) {
    const full = path.join(dir, e.name);
    try {
      if (e.isDirectory()) findMarker(full, needle, sinceMs, found);
      else if (e.isFile()) {
        const st = lstatSync(full);
        if (st.mtimeMs >= sinceMs && st.size < 64 << 20 && readFileSync(full).includes(needle)) found.push(full);
      }
    } catch {
      // removed while we looked: not left behind
    }
  }
  return found;
}

describe("plaintext hygiene", () => {
  beforeAll(() => ensureBuilt());
  const tempDir = useTempDirs();

  it("no command leaves a secret's plaintext in the repository, the temp folder or tmpfs", async () => {
    const started = Date.now() - 2000;
    const marker = `REKEY-HYGIENE-${randomBytes(12).toString("hex")}`;
    const fleet = await makeFleet(await tempDir("rekey-hygiene-"), { hosts: 3, sources: 4, generated: 0, marker });
    const { root } = fleet;
    // A plugin whose output holds the marker, without the marker in any file.
    mkdirSync(path.join(root, "generators"));
    writeFileSync(path.join(root, "generators/marked.mjs"), 'export default { name: "marked", generate: () => ({ secret: `${process.env.HYGIENE_MARKER}-generated` }) };\n');
    for (const host of fleet.hosts) writeFileSync(path.join(root, `hosts/${host.name}.yaml`), `${readFileSync(path.join(root, `hosts/${host.name}.yaml`), "utf8")}  marked: {generator: marked}\n`);
    const env = { ...process.env, NO_COLOR: "1", REKEY_IDENTITY: "", HYGIENE_MARKER: marker, EDITOR: `sh -c 'printf %s "$HYGIENE_MARKER-from-editor" > "$1"' sh`, VISUAL: "" };
    const run = (args: readonly string[], input?: string): RunResult => {
      const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, env, input: input ?? "", encoding: "utf8" });
      return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
    };
    const second = generateX25519Identity();
    const steps: { name: string; args: string[]; input?: string; before?: () => void }[] = [
      { name: "generate", args: ["generate"] },
      { name: "plan", args: ["plan", "--out", "changes.plan"] },
      { name: "apply", args: ["apply", "changes.plan"] },
      { name: "check", args: ["check"] },
      { name: "edit", args: ["edit", "s1", "--input", "-"], input: `${marker}-from-stdin` },
      { name: "edit", args: ["edit", "s2"] },
      { name: "view", args: ["view", "app/s0"] },
      { name: "update-masterkeys", args: ["update-masterkeys"], before: () => writeFileSync(path.join(root, "rekey.yaml"), readFileSync(path.join(root, "rekey.yaml"), "utf8").replace("recipients:\n", `recipients:\n    - ${x25519RecipientOf(second)}\n`)) },
      { name: "apply", args: ["apply", "--yes"] },
      { name: "export", args: ["export", "--format", "json"] },
      { name: "export", args: ["export", "--format", "nix"] },
    ];
    const missing = new Set<string>();
    const ran: string[] = [];
    for (const step of steps) {
      if (!hasCommand(step.name)) {
        missing.add(step.name);
        continue;
      }
      step.before?.();
      const r = run(step.args, step.input);
      ran.push(`${step.args.join(" ")}: exit ${r.code}`);
      expect(r.code, `${step.args.join(" ")}: ${r.stderr}`).toBe(0);
      if (step.name === "view") expect(r.stdout).toContain(marker); // it did see the plaintext, so the search means something
      else expect(r.stdout + r.stderr, step.args.join(" ")).not.toContain(marker);
    }
    console.log(`plaintext hygiene ran: ${ran.join("; ")}${missing.size > 0 ? `; not in this build: ${[...missing].join(", ")}` : ""}`);
    const needle = Buffer.from(marker);
    const places = [root, tmpdir(), "/dev/shm", process.env.XDG_RUNTIME_DIR].filter((p): p is string => p !== undefined && p !== "");
    const found = places.flatMap((p) => findMarker(p, needle, started));
    expect(found).toEqual([]);
  });

  it("warns when a master identity file is readable by group or others", async () => {
    const fleet = await makeFleet(await tempDir("rekey-hygiene-"), { hosts: 1, sources: 1, generated: 0 });
    chmodSync(path.join(fleet.root, "keys/master.txt"), 0o644);
    const r = spawnSync(process.execPath, [bin, "apply", "--yes"], { cwd: fleet.root, env: { ...process.env, NO_COLOR: "1", REKEY_IDENTITY: "" }, encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toMatch(/keys\/master\.txt is readable by group or others; run `chmod 600 /);
    if (hasCommand("view")) {
      const v = spawnSync(process.execPath, [bin, "view", "app/s0"], { cwd: fleet.root, env: { ...process.env, REKEY_IDENTITY: "" }, encoding: "utf8" });
      expect(v.stderr).toMatch(/readable by group or others/);
    }
  });
});
