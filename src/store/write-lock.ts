/**
 * The start of every command that writes: take the repository lock, then remove the temp
 * files a killed run left behind (under the lock, no other run can be writing them).
 */
import { cleanTempFiles } from "./atomic.js";
import type { Repo } from "./config.js";
import { acquireRepoLock, type RepoLock } from "./lock.js";

/** Takes the lock for `command` and cleans leftover temp files; release() the lock in a finally. */
export async function lockForWriting(repo: Repo, command: string): Promise<RepoLock> {
  const lock = await acquireRepoLock(repo.root, { command });
  try {
    cleanTempFiles(repo.root, [repo.config.paths.secrets, repo.config.paths.output]);
  } catch (e) {
    await lock.release();
    throw e;
  }
  return lock;
}
