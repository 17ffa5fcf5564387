/** The edit temp file: only ever on tmpfs, 0600 in a 0700 folder, and gone after dispose. */
import { existsSync, readFileSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createEditFile, isOnTmpfs, pickTmpfsDir } from "../../src/ops/tmpfs.js";
import { useTempDirs } from "../helpers/tmp.js";

const tempDir = useTempDirs();
const shm = isOnTmpfs("/dev/shm");
const made: string[] = [];
afterEach(async () => {
  await Promise.all(made.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});
async function shmDir(): Promise<string> {
  const dir = await mkdtemp("/dev/shm/rekey-test-xdg-");
  made.push(dir);
  return dir;
}

describe.runIf(shm)("pickTmpfsDir", () => {
  it("uses $XDG_RUNTIME_DIR when it is on tmpfs", async () => {
    const xdg = await shmDir();
    expect(pickTmpfsDir({ env: { XDG_RUNTIME_DIR: xdg } })).toBe(xdg);
  });

  it("falls back to /dev/shm when $XDG_RUNTIME_DIR is unset, relative or on disk", async () => {
    const disk = await tempDir();
    const onDisk = !isOnTmpfs(disk);
    for (const env of [{}, { XDG_RUNTIME_DIR: "" }, { XDG_RUNTIME_DIR: "run/user" }, ...(onDisk ? [{ XDG_RUNTIME_DIR: disk }] : [])]) {
      expect(pickTmpfsDir({ env })).toBe("/dev/shm");
    }
  });
});

describe("pickTmpfsDir without tmpfs", () => {
  it("refuses, never falling back to a disk folder", async () => {
    const disk = await tempDir();
    const env = isOnTmpfs(disk) ? {} : { XDG_RUNTIME_DIR: disk };
    expect(() => pickTmpfsDir({ env, shm: path.join(disk, "no-such-shm") })).toThrow(/no tmpfs folder/);
    try {
      pickTmpfsDir({ env, shm: path.join(disk, "no-such-shm") });
    } catch (e) {
      expect(e).toMatchObject({ code: "IO", hint: expect.stringContaining("--input") as unknown });
    }
  });
});

describe.runIf(shm)("createEditFile", () => {
  it("writes a 0600 file named like the secret in a fresh 0700 folder, and removes both", async () => {
    const xdg = await shmDir();
    const temp = createEditFile("web/config.yaml", new TextEncoder().encode("a: 1\n"), { env: { XDG_RUNTIME_DIR: xdg } });
    expect(path.dirname(temp.dir)).toBe(xdg);
    expect(path.basename(temp.file)).toBe("config.yaml");
    expect(statSync(temp.dir).mode & 0o777).toBe(0o700);
    expect(statSync(temp.file).mode & 0o777).toBe(0o600);
    expect(readFileSync(temp.file, "utf8")).toBe("a: 1\n");
    temp.dispose();
    temp.dispose();
    expect(existsSync(temp.dir)).toBe(false);
  });
});
