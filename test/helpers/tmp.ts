/** Temp folders for tests that touch the real filesystem; each is removed after its test. */
import { mkdtemp, realpath, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach } from "vitest";

/** Registers cleanup and returns a factory of fresh, real (symlink-free) temp folders. */
export function useTempDirs(): (prefix?: string) => Promise<string> {
  const made: string[] = [];
  afterEach(async () => {
    await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });
  return async (prefix = "rekey-test-") => {
    const dir = await realpath(await mkdtemp(path.join(tmpdir(), prefix)));
    made.push(dir);
    return dir;
  };
}
