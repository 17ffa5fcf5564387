/**
 * The repository lock (SPEC "Guarantees"): two rekey processes on one repository never
 * interleave. The second waits, then proceeds or fails with LOCKED naming the holder.
 */
import { randomBytes } from "node:crypto";
import { constants, readFileSync, unlinkSync } from "node:fs";
import { link, open, readdir, readFile, rename, stat, unlink } from "node:fs/promises";
import { hostname } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { RekeyError } from "../core/errors.js";

/** A held repository lock. */
export interface RepoLock {
  /** Removes the lock file if it is still ours. Idempotent. Also runs on process 'exit'. */
  release(): Promise<void>;
  /** Absolute path of the lock file. */
  readonly path: string;
}

/** Options for {@link acquireRepoLock}. */
export interface LockOptions {
  /** How long to wait for a live holder, in ms (default 10 000). */
  readonly waitMs?: number;
  /** Shown to whoever waits on us, e.g. "rekey apply". */
  readonly command?: string;
}

interface LockInfo { readonly pid: number; readonly host: string; readonly started: string; readonly command: string }
interface Snapshot { readonly raw: string; readonly ino: number; readonly mtimeMs: number; readonly info: LockInfo | undefined }

const LOCK_NAME = ".rekey.lock";
const GARBAGE_STALE_MS = 30_000;
const POLL_MS = 100;
const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/**
 * Takes the lock `root/.rekey.lock` (created with O_EXCL; JSON {pid, host, started, command,
 * token}). A live holder is waited for (polling every 100 ms) up to `waitMs`, then `LOCKED`.
 * A stale lock (dead pid on this host, or unreadable content older than 30 s) is taken over.
 */
export async function acquireRepoLock(root: string, options: LockOptions = {}): Promise<RepoLock> {
  const lockPath = path.join(path.resolve(root), LOCK_NAME);
  const mine: LockInfo & { token: string } = {
    pid: process.pid, host: hostname(), started: new Date().toISOString(),
    command: options.command ?? "rekey", token: randomBytes(16).toString("hex"), // token: "still ours?" on release
  };
  const content = `${JSON.stringify(mine)}\n`;
  const deadline = Date.now() + (options.waitMs ?? 10_000);
  for (;;) {
    if (await publishExclusive(lockPath, content)) return await holdLock(lockPath, content);
    const seen = await readSnapshot(lockPath);
    if (seen === undefined) continue; // released in between: try again at once
    if (isStale(seen) && (await takeOver(lockPath, seen, content))) return await holdLock(lockPath, content);
    if (Date.now() >= deadline) throw lockedError(lockPath, seen);
    await sleep(POLL_MS);
  }
}

/*
 * Taking over a stale lock, safely. The naive "unlink it, then create ours" lets two recoverers
 * both win: A unlinks the stale lock and creates its own; B, which judged the *old* lock stale a
 * moment earlier, now unlinks A's live lock and creates its own. A plain "write temp, re-check,
 * rename over" has the same hole between B's re-check and B's rename. So recoverers first take a
 * guard file with O_EXCL (only one can hold it), and only under the guard re-check that the lock
 * is still the very file they judged stale (same inode, same bytes), then rename a complete new
 * lock over it, so the lock path is never empty or partial, and only then drop the guard. A
 * second recoverer either fails to get the guard, or gets it after the rename and its re-check
 * sees our new lock, not the stale one, so it backs off. A takeover holds the guard for a few
 * milliseconds; a guard older than 30 s belongs to a recoverer that died mid-takeover and is
 * removed. (The one remaining race needs that crash plus two recoverers removing the same
 * abandoned guard within microseconds of each other.)
 */
async function takeOver(lockPath: string, seen: Snapshot, content: string): Promise<boolean> {
  const guard = `${lockPath}.takeover`;
  if (!(await createExclusive(guard, `${process.pid}\n`))) {
    const guardStat = await stat(guard).catch(() => undefined);
    if (guardStat !== undefined && Date.now() - guardStat.mtimeMs > GARBAGE_STALE_MS) await unlink(guard).catch(() => undefined);
    return false;
  }
  try {
    const now = await readSnapshot(lockPath);
    if (now === undefined || now.ino !== seen.ino || now.raw !== seen.raw) return false;
    const tmp = lockTempFile(lockPath);
    if (!(await createExclusive(tmp, content))) return false;
    try {
      await rename(tmp, lockPath);
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      throw ioError(e);
    }
    return true;
  } finally {
    await unlink(guard).catch(() => undefined);
  }
}

/**
 * Creates `file` holding `content`, all at once: the content goes to a temp file first, which
 * link(2) then puts in place only if `file` does not exist. A lock is never seen empty, even
 * if the process is killed while taking it (an empty lock would only be recovered as garbage,
 * 30 s later). False if `file` already exists.
 */
async function publishExclusive(file: string, content: string): Promise<boolean> {
  const tmp = lockTempFile(file);
  if (!(await createExclusive(tmp, content))) return false;
  try {
    await link(tmp, file);
    return true;
  } catch (e) {
    // ENOENT: the holder removed our temp file as a leftover (see holdLock); the lock is taken.
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EEXIST" || code === "ENOENT") return false;
    throw ioError(e);
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

/** Creates `file` with O_EXCL holding `content`; false if it already exists. */
async function createExclusive(file: string, content: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(file, CREATE_FLAGS, 0o644);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw ioError(e);
  }
  try {
    await handle.writeFile(content);
  } catch (e) {
    await handle.close();
    await unlink(file).catch(() => undefined);
    throw ioError(e);
  }
  await handle.close();
  return true;
}

async function readSnapshot(lockPath: string): Promise<Snapshot | undefined> {
  let handle;
  try {
    handle = await open(lockPath, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    if (code !== "ELOOP") throw ioError(e);
    const link = await stat(lockPath).catch(() => undefined); // a symlink in the way: garbage
    return { raw: "", ino: link?.ino ?? -1, mtimeMs: link?.mtimeMs ?? 0, info: undefined };
  }
  try {
    const stats = await handle.stat();
    const raw = await handle.readFile("utf8");
    return { raw, ino: stats.ino, mtimeMs: stats.mtimeMs, info: parseLock(raw) };
  } finally {
    await handle.close();
  }
}

function parseLock(raw: string): LockInfo | undefined {
  try {
    const v = JSON.parse(raw) as Partial<Record<keyof LockInfo, unknown>> | null;
    if (typeof v?.pid !== "number" || !Number.isInteger(v.pid) || v.pid <= 0) return undefined;
    if (typeof v.host !== "string" || typeof v.started !== "string" || typeof v.command !== "string") return undefined;
    return { pid: v.pid, host: v.host, started: v.started, command: v.command };
  } catch {
    return undefined;
  }
}

function isStale(seen: Snapshot): boolean {
  if (seen.info === undefined) return Date.now() - seen.mtimeMs > GARBAGE_STALE_MS;
  return seen.info.host === hostname() && !isAlive(seen.info.pid); // another host's pid: can't tell
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== "ESRCH"; // EPERM: alive, just not ours
  }
}

const TEMP_PREFIX = `${LOCK_NAME}.rekey-tmp-`;

/** A temp file beside the lock, for publishing a complete lock in one step. */
function lockTempFile(lockPath: string): string {
  return path.join(path.dirname(lockPath), `${TEMP_PREFIX}${randomBytes(8).toString("hex")}`);
}

/**
 * Holds the lock just taken. First removes the lock temp files that killed acquirers left
 * beside it: under the lock, no other run can still need one (an acquirer whose temp file
 * goes finds the lock taken, as it would anyway).
 */
async function holdLock(lockPath: string, content: string): Promise<RepoLock> {
  const dir = path.dirname(lockPath);
  for (const name of await readdir(dir).catch(() => [])) {
    if (name.startsWith(TEMP_PREFIX)) await unlink(path.join(dir, name)).catch(() => undefined);
  }
  let held = true;
  const onExit = (): void => {
    try {
      if (readFileSync(lockPath, "utf8") === content) unlinkSync(lockPath);
    } catch {
      // exiting anyway: a lock we cannot remove is recovered as stale next time
    }
  };
  process.on("exit", onExit);
  return {
    path: lockPath,
    async release(): Promise<void> {
      if (!held) return;
      held = false;
      process.off("exit", onExit);
      const now = await readFile(lockPath, "utf8").catch(() => undefined);
      if (now === content) await unlink(lockPath).catch(() => undefined);
    },
  };
}

function lockedError(lockPath: string, seen: Snapshot): RekeyError {
  const info = seen.info;
  const who = info === undefined
    ? `the repository lock ${lockPath} is held (its content is unreadable; last changed ${new Date(seen.mtimeMs).toISOString()})`
    : `another rekey process (pid ${info.pid}${info.host === hostname() ? "" : ` on ${info.host}`}, \`${info.command}\`, started ${info.started}) holds the repository lock ${lockPath}`;
  return new RekeyError("LOCKED", who, {
    file: LOCK_NAME,
    hint: `wait for it to finish and run the command again; if you are sure it is no longer running, delete ${lockPath}`,
  });
}

function ioError(e: unknown): RekeyError {
  const code = (e as NodeJS.ErrnoException | undefined)?.code ?? "unknown error";
  return new RekeyError("IO", `cannot write the repository lock ${LOCK_NAME} (${code})`, {
    file: LOCK_NAME, hint: "check that the repository folder is writable and not full, then run the command again", cause: e,
  });
}
