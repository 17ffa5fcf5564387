/**
 * Atomic, durable writes (SPEC "Guarantees"): temp file in the same folder, fsync, rename,
 * fsync the folder. If the process dies at any moment, each file is old or new, never partial.
 */
import { randomBytes } from "node:crypto";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { closeSync, constants, fchmodSync, type Stats, lstatSync, mkdirSync, openSync, readdirSync, renameSync, rmdirSync, rmSync, unlinkSync, writeSync, writevSync } from "node:fs";
import { lstat, mkdir, open, rename, rmdir, unlink, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { RekeyError } from "../core/errors.js";
import { resolveInside, splitRelPath } from "./safe-path.js";

/** One file for {@link writeFilesAtomic}. */
export interface AtomicFile {
  readonly rel: string;
  readonly data: Uint8Array | string;
  /** Defaults to 0o644. Applied exactly (not masked by the umask). */
  readonly mode?: number;
}

/** @internal Test seam: how bytes reach a temp file, so tests can inject ENOSPC. */
export const atomicIo = {
  write: async (handle: FileHandle, data: Uint8Array | string): Promise<void> => handle.writeFile(data),
};

const TEMP_MARK = ".rekey-tmp-";
const CONCURRENCY = 16;
const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/**
 * Atomically writes `data` to `root/rel`, creating missing parent folders (0755, never
 * through a symlink). Refuses with `UNSAFE_PATH`, writing nothing, if the target or a parent
 * is a symlink. ENOSPC becomes `IO` "disk full while writing <rel>". The temp file
 * (`.<basename>.rekey-tmp-<random>`) is removed on every failure.
 */
export async function writeFileAtomic(root: string, rel: string, data: Uint8Array | string, options: { mode?: number } = {}): Promise<void> {
  await writeFilesAtomic(root, [{ rel, data, mode: options.mode }]);
}

/**
 * {@link writeFileAtomic} for many files: writes, fsyncs and renames up to 16 at a time,
 * then fsyncs each touched folder once; returns when all are durable. On the first error it
 * stops, removes its pending temp files and throws. Files already renamed stay (each is new).
 */
export async function writeFilesAtomic(root: string, files: ReadonlyArray<AtomicFile>): Promise<void> {
  if (files.length >= BATCH_THRESHOLD) {
    await stageFiles(root, files).commit();
    return;
  }
  const pending = new Set<string>(); // temp files that exist and are not renamed yet
  const dirs = new Set<string>(); // folders whose entries changed, to fsync at the end
  let failure: { error: unknown } | undefined;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < files.length) {
      const file = files[next++]!;
      try {
        await writeOne(root, file, pending, dirs);
      } catch (e) {
        failure ??= { error: toRekeyError(e, file.rel) };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, files.length) }, worker));
  if (failure !== undefined) {
    await Promise.all([...pending].map(unlinkQuietly));
    throw failure.error;
  }
  await Promise.all([...dirs].map(async (dir) => {
    try {
      await fsyncDir(dir);
    } catch (e) {
      throw toRekeyError(e, path.relative(root, dir) || ".");
    }
  }));
}

async function writeOne(root: string, file: AtomicFile, pending: Set<string>, dirs: Set<string>): Promise<void> {
  const target = resolveInside(root, file.rel, { noSymlinks: true });
  if (target === path.resolve(root)) throw new RekeyError("IO", "cannot write the repository root as a file", { file: file.rel, hint: "this is a bug in the caller; please report it" });
  const dir = path.dirname(target);
  await ensureDirs(path.resolve(root), path.relative(path.resolve(root), dir), dirs);
  const tmp = path.join(dir, `.${path.basename(target)}${TEMP_MARK}${randomBytes(8).toString("hex")}`);
  const mode = file.mode ?? 0o644;
  const handle = await open(tmp, CREATE_FLAGS, mode);
  pending.add(tmp);
  try {
    await handle.chmod(mode);
    await atomicIo.write(handle, file.data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, target);
  pending.delete(tmp);
  dirs.add(dir);
}

/** mkdir -p one level at a time, refusing symlinks and recording which folders changed. */
async function ensureDirs(root: string, relDir: string, changed: Set<string>): Promise<void> {
  let current = root;
  for (const segment of relDir.split(path.sep).filter((s) => s !== "")) {
    const parent = current;
    current = path.join(current, segment);
    try {
      await mkdir(current, { mode: 0o755 });
      changed.add(parent);
      continue;
    } catch (e) {
      if (errno(e) !== "EEXIST") throw e;
    }
    refuseNonFolder(await lstat(current), path.relative(root, current));
  }
}

/** Throws unless `stats` (of the repo-relative `rel`) is a real folder: a symlink or a file is in the way. */
function refuseNonFolder(stats: Stats, rel: string): void {
  if (stats.isSymbolicLink()) throw new RekeyError("UNSAFE_PATH", `${rel} is a symlink, which rekey refuses to write through`, { file: rel, hint: "replace the symlink with a real folder" });
  if (!stats.isDirectory()) throw new RekeyError("IO", `${rel} is in the way: it should be a folder`, { file: rel, hint: "move or remove that file" });
}

/**
 * Removes `root/rel` if it exists (a symlink is removed, never followed), then removes the
 * folders it leaves empty, up to but excluding `stopAt` (repo-relative).
 */
export async function removeFile(root: string, rel: string, stopAt: string): Promise<void> {
  const parts = splitRelPath(rel);
  const name = parts.pop();
  if (name === undefined) throw new RekeyError("IO", "cannot remove the repository root", { file: rel, hint: "this is a bug in the caller; please report it" });
  const dir = resolveInside(root, parts.join("/"), { noSymlinks: true });
  try {
    await unlink(path.join(dir, name));
    await fsyncDir(dir);
  } catch (e) {
    if (errno(e) !== "ENOENT") throw toRekeyError(e, rel);
  }
  const stop = splitRelPath(stopAt);
  while (parts.length > stop.length && stop.every((s, i) => parts[i] === s)) {
    try {
      await rmdir(path.join(path.resolve(root), ...parts));
    } catch (e) {
      if (errno(e) !== "ENOENT") break; // not empty, or not ours to remove: pruning is best-effort
    }
    parts.pop();
  }
}

/**
 * Deletes leftover `.*.rekey-tmp-*` files and staged folders under the folders `root/rel`
 * (recursively); returns how many. Synchronous: every writing command walks a few hundred output folders here first.
 */
export function cleanTempFiles(root: string, rels: readonly string[]): number {
  let count = 0;
  const walk = (dir: string): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      if (errno(e) === "ENOENT" || errno(e) === "ENOTDIR") return;
      throw toRekeyError(e, path.relative(root, dir) || ".");
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      const temp = entry.name.startsWith(".") && entry.name.includes(TEMP_MARK, 1);
      if (entry.isDirectory() && !temp) walk(full); // Dirent does not follow symlinks
      else if (temp) {
        try {
          // A staged folder (see prepareFiles) goes whole; rmSync never follows a symlink in it.
          if (entry.isDirectory()) rmSync(full, { recursive: true, force: true });
          else unlinkSync(full);
          count++;
        } catch (e) {
          if (errno(e) !== "ENOENT") throw toRekeyError(e, path.relative(root, full));
        }
      }
    }
  };
  for (const rel of rels) walk(resolveInside(root, rel, { noSymlinks: true }));
  return count;
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await handle.sync();
  } catch (e) {
    if (errno(e) !== "EINVAL") throw e; // some filesystems cannot fsync a folder; nothing to do
  } finally {
    await handle.close();
  }
}

async function unlinkQuietly(file: string): Promise<void> {
  await unlink(file).catch(() => undefined);
}

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

/** The error for a failed write of `rel` with errno `code` (a temp file written by an encryption worker). */
export function writeFailure(code: string, rel: string): RekeyError {
  const e = toRekeyError(Object.assign(new Error(code), { code }), rel);
  return e instanceof RekeyError ? e : new RekeyError("IO", `cannot write ${rel} (${code})`, { file: rel, hint: "check the disk and the folder's permissions, then run the command again" });
}

/** Turns a filesystem failure into an error the user can act on; leaves anything else alone. */
function toRekeyError(e: unknown, rel: string): unknown {
  if (e instanceof RekeyError) return e;
  const code = errno(e);
  if (code === "ENOSPC") return new RekeyError("IO", `disk full while writing ${rel}`, { file: rel, hint: "free some disk space, then run the command again", cause: e });
  if (code === "EDQUOT") return new RekeyError("IO", `disk quota exceeded while writing ${rel}`, { file: rel, hint: "free some space or raise your quota, then run the command again", cause: e });
  if (code === "ELOOP") return new RekeyError("UNSAFE_PATH", `${rel} is a symlink, which rekey refuses to write through`, { file: rel, hint: "replace the symlink with a real file", cause: e });
  if (code !== undefined && ["EACCES", "EPERM", "EROFS", "EISDIR", "ENOTDIR", "EEXIST", "EBUSY", "ENAMETOOLONG", "EIO"].includes(code)) {
    return new RekeyError("IO", `cannot write ${rel} (${code})`, { file: rel, hint: "check that the file and its folder are writable, then run the command again", cause: e });
  }
  return e;
}

/** From this many files, {@link writeFilesAtomic} uses the batch path below. */
const BATCH_THRESHOLD = 32;

/**
 * Writes `files` to temp files beside their targets (see {@link prepareFiles}); nothing is in
 * place until the batch's commit(). On a failure, removes what it wrote and throws an error
 * naming the file. The batch path of {@link writeFilesAtomic}: the same guarantees with far
 * fewer system calls; synchronous calls on purpose, as a thread-pool round trip per call
 * costs more than the call itself.
 */
export function stageFiles(root: string, files: ReadonlyArray<AtomicFile>): PreparedFiles {
  const batch = prepareFiles(root, files.map((f) => f.rel));
  let current = "";
  try {
    files.forEach((file, i) => {
      current = file.rel;
      writeTempFile(batch.files[i]!.tmp, file.data, file.mode ?? 0o644);
    });
  } catch (e) {
    batch.abort();
    throw toRekeyError(e, current);
  }
  return batch;
}

/** Options of {@link PreparedFiles.commit}. */
export interface CommitOptions {
  /**
   * Stages a follow-up batch (files that must appear only after this batch's, such as records
   * describing them) once this batch's files are renamed. This commit's last sync then makes
   * the renames and the follow-up's temp files durable at once; commit the follow-up with
   * `dataDurable`. One sync fewer than two commits in a row.
   */
  readonly stageNext?: () => Promise<PreparedFiles>;
  /** The temp files were made durable by the commit that staged this batch: skip the first sync. */
  readonly dataDurable?: boolean;
}

/** A batch of files about to be written atomically, possibly by other threads. */
export interface PreparedFiles {
  /** For each file, in order: its repo-relative path and the temp file to write it to. */
  readonly files: readonly { readonly rel: string; readonly tmp: string }[];
  /**
   * Checks and names more files (see {@link prepareFiles}); returns the entries added, in
   * order. Lets a caller hand the first files to writers while it prepares the rest.
   */
  add(rels: readonly string[]): readonly { readonly rel: string; readonly tmp: string }[];
  /**
   * Once every temp file is written: one `syncfs` (through `sync -f`) makes them all durable
   * at once instead of one fsync each; then every rename; then a second `syncfs` makes the
   * renames durable. The syncs run in a child process, so this thread goes on with other
   * work (encrypting, answering workers) while the disk catches up. On a failure, removes
   * what is not in place yet (see abort(), and the follow-up it staged), then throws.
   */
  commit(options?: CommitOptions): Promise<PreparedFiles | undefined>;
  /** The temp files and staged folders written so far: what a first sync must cover. */
  readonly pending: () => readonly string[];
  /** Removes the temp files that exist and were not renamed. Never throws. */
  abort(): void;
}

/** A folder of a batch: where its files are written, and how. */
interface BatchDir {
  /** Where the folder is now: its real path, or a path inside a staged folder. */
  readonly abs: string;
  /** Made by this batch: no target in it can exist yet, so none is checked for a symlink. */
  readonly fresh: boolean;
  /** Inside a staged folder: files are written under their own names, renamed with the folder. */
  readonly staged: boolean;
}

/** A missing folder built under a temp name and renamed into place by commit(). */
interface StagedDir {
  readonly tmp: string;
  readonly target: string;
}

/**
 * Checks every path of a batch and creates the missing folders (each folder checked once,
 * not once per file), and names a temp file beside each target. Writes no file: the caller
 * writes each temp file with {@link writeTempFile} (encryption workers do, in parallel),
 * then calls commit(). Throws UNSAFE_PATH naming the file for a symlink on the way.
 *
 * A missing folder that holds files of the batch is *staged*: made as
 * `.<name>.rekey-tmp-<token>` beside its place, its files written in it under their own
 * names, and renamed into place whole by commit(), one rename instead of one per file (a new
 * host's outputs appear together). Missing folders above it are made directly.
 *
 * A target in a folder this batch created cannot exist yet (the repository lock is held),
 * so only targets in folders that were already there are checked for symlinks. Temp names
 * share one random token per batch plus a counter; they are created with O_EXCL anyway.
 * Batches in flight together must not write to the same missing folder.
 */
export function prepareFiles(root: string, rels: readonly string[]): PreparedFiles {
  const rootAbs = path.resolve(root);
  const dirs = new Map<string, BatchDir>([["", { abs: rootAbs, fresh: false, staged: false }]]); // by normalized repo-relative path
  const byRaw = new Map<string, BatchDir>(); // the same, by the folder as spelled in `rels` ("a/b/")
  const changed = new Set<string>(); // real folders whose entries change, to sync after the renames
  const created: string[] = []; // real folders made by this batch, removed again by abort()
  const staged: StagedDir[] = [];
  const stagedInside: string[] = []; // folders made inside staged ones (synced one by one without syncfs)
  const files: { rel: string; tmp: string; target: string | undefined }[] = [];
  const token = randomBytes(6).toString("hex");

  /** The folder `segments` (repo-relative), made if missing; `leaf`: files go directly in it. */
  const folder = (segments: readonly string[], leaf: boolean): BatchDir => {
    const key = segments.join("/");
    const known = dirs.get(key);
    if (known !== undefined) return known;
    const parent = folder(segments.slice(0, -1), false);
    const name = segments.at(-1)!;
    const target = path.join(parent.abs, name);
    let dir: BatchDir;
    if (parent.staged) {
      mkdirSync(target, { mode: 0o755 });
      stagedInside.push(target);
      dir = { abs: target, fresh: true, staged: true };
    } else if (!existsAsFolder(target, key)) {
      const tmp = leaf ? path.join(parent.abs, `.${name}${TEMP_MARK}${token}d${staged.length.toString(36)}`) : target;
      mkdirSync(tmp, { mode: 0o755 });
      changed.add(parent.abs);
      if (leaf) staged.push({ tmp, target });
      else created.push(target);
      dir = { abs: tmp, fresh: true, staged: leaf };
    } else {
      dir = { abs: target, fresh: false, staged: false };
    }
    dirs.set(key, dir);
    return dir;
  };

  const add = (more: readonly string[]) => {
    const first = files.length;
    for (const rel of more) {
      // Keyed with its trailing '/', so that "/x" (absolute) is not taken for "x"'s folder.
      const slash = rel.lastIndexOf("/");
      const rawDir = rel.slice(0, slash + 1);
      const name = rel.slice(slash + 1);
      let dir = byRaw.get(rawDir);
      if (dir === undefined) {
        try {
          // The whole path is checked once per folder spelling, the name once per file below.
          dir = folder(splitRelPath(rel).slice(0, -1), true);
        } catch (e) {
          // Name the file being written, as the one-by-one path does.
          throw e instanceof RekeyError ? new RekeyError(e.code, `${e.message} (writing ${rel})`, { file: rel, hint: e.hint }) : toRekeyError(e, rel);
        }
        byRaw.set(rawDir, dir);
      }
      checkFileName(name, rel);
      if (dir.staged) {
        files.push({ rel, tmp: inFolder(dir.abs, name), target: undefined });
        continue;
      }
      const target = inFolder(dir.abs, name);
      if (!dir.fresh) refuseSymlinkSync(target, rel);
      files.push({ rel, target, tmp: inFolder(dir.abs, `.${name}${TEMP_MARK}${token}${files.length.toString(36)}`) });
    }
    return files.slice(first);
  };
  let renamedFiles = 0; // files[0, renamedFiles) are done: renamed, or staged
  let renamedDirs = 0; // staged[0, renamedDirs) are in place
  const pending = () => [...files.map((f) => f.tmp), ...stagedInside, ...staged.map((d) => d.tmp)];
  const batch: PreparedFiles = {
    files,
    add,
    pending,
    async commit(options = {}) {
      let current = "";
      let next: PreparedFiles | undefined;
      try {
        if (files.length > 0 && options.dataDurable !== true) await syncFilesystem(rootAbs, pending());
        for (const f of files) {
          current = f.rel;
          if (f.target !== undefined) {
            renameSync(f.tmp, f.target);
            changed.add(path.dirname(f.target));
          }
          renamedFiles++;
        }
        for (const d of staged) {
          current = path.relative(rootAbs, d.target);
          renameSync(d.tmp, d.target);
          renamedDirs++;
        }
        next = await options.stageNext?.();
        const unsynced = [...changed, ...(next?.pending() ?? [])];
        if (unsynced.length > 0) await syncFilesystem(rootAbs, unsynced);
        return next;
      } catch (e) {
        next?.abort();
        batch.abort();
        throw toRekeyError(e, current);
      }
    },
    abort() {
      for (const f of files.slice(renamedFiles)) {
        if (f.target === undefined) continue; // goes with its staged folder
        try {
          unlinkSync(f.tmp);
        } catch {
          // never written, or already gone
        }
      }
      for (const d of staged.slice(renamedDirs)) rmSync(d.tmp, { recursive: true, force: true });
      // The folders this batch made go too, deepest first, unless a renamed file is in one.
      for (const dir of [...created].reverse()) {
        try {
          rmdirSync(dir);
        } catch {
          // not empty: it holds a file renamed before the failure
        }
      }
    },
  };
  try {
    add(rels);
  } catch (e) {
    batch.abort(); // the folders made before the bad path
    throw e;
  }
  return batch;
}

/**
 * `dir`/`name` for a resolved absolute folder and a checked file name (no separator, not "."
 * or ".."): the same as path.join, without normalizing again a path per file of a batch.
 */
function inFolder(dir: string, name: string): string {
  return dir.endsWith(path.sep) ? dir + name : dir + path.sep + name;
}

/** Whether `abs` (repo-relative `rel`) is an existing folder; throws for a symlink or a file in the way. */
function existsAsFolder(abs: string, rel: string): boolean {
  let stats;
  try {
    stats = lstatSync(abs);
  } catch (e) {
    if (errno(e) === "ENOENT") return false;
    throw e;
  }
  refuseNonFolder(stats, rel);
  return true;
}

/** Checks the last segment of a repo-relative file path, as {@link splitRelPath} checks a whole one. */
function checkFileName(name: string, rel: string): void {
  if (name === "" || name === "." || name === "..") {
    throw new RekeyError("UNSAFE_PATH", `cannot write ${JSON.stringify(rel)}: it does not name a file`, { file: rel, hint: "this is a bug in the caller; please report it" });
  }
  if (/[\0\n\r]/.test(name)) splitRelPath(rel); // throws, with its message
}

/** Writes a temp file named by {@link prepareFiles}: created exclusively, never through a symlink, with `mode` exactly. */
export function writeTempFile(tmp: string, data: Uint8Array | string, mode: number): void {
  const file = openTempFile(tmp, mode);
  try {
    file.write(typeof data === "string" ? Buffer.from(data) : data);
  } finally {
    file.close();
  }
}

/** A temp file open for writing (see {@link openTempFile}). */
export interface TempFile {
  write(piece: Uint8Array): void;
  /** Writes the pieces in order, in one system call when the kernel takes them all. */
  writev(pieces: readonly Uint8Array[]): void;
  close(): void;
}

/** {@link writeTempFile} piece by piece, for content produced as a stream; close() in a finally. */
export function openTempFile(tmp: string, mode: number): TempFile {
  const fd = openSync(tmp, CREATE_FLAGS, mode);
  // open() applied the umask; only a mode it cut needs setting again (one system call per file).
  if ((mode & ~umask()) !== mode) {
    try {
      fchmodSync(fd, mode);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }
  return {
    write: (piece) => writeAllSync(fd, piece),
    writev: (pieces) => {
      let written = writevSync(fd, pieces);
      // A short write (rare, for a regular file): the rest goes piece by piece.
      for (const piece of pieces) {
        if (written >= piece.length) written -= piece.length;
        else {
          writeAllSync(fd, written === 0 ? piece : piece.subarray(written));
          written = 0;
        }
      }
    },
    close: () => closeSync(fd),
  };
}

let processUmask: number | undefined;

/** The process umask, read once (reading it sets it, briefly, so not once per file). */
function umask(): number {
  processUmask ??= process.umask();
  return processUmask;
}

function writeAllSync(fd: number, data: Uint8Array): void {
  let offset = 0;
  while (offset < data.length) offset += writeSync(fd, data, offset, data.length - offset);
}

function refuseSymlinkSync(target: string, rel: string): void {
  try {
    if (lstatSync(target).isSymbolicLink()) {
      throw new RekeyError("UNSAFE_PATH", `${rel} is a symlink, which rekey refuses to write through`, { file: rel, hint: "replace the symlink with a real file" });
    }
  } catch (e) {
    if (errno(e) !== "ENOENT") throw e;
  }
}

/**
 * Makes `paths` durable: one syncfs(2) of the whole filesystem (`sync -f`, in a child process
 * this thread does not wait on), or, where that is not available, an fsync of each path.
 */
async function syncFilesystem(root: string, paths: readonly string[]): Promise<void> {
  if (await syncfs(root)) return;
  for (const p of paths) {
    const handle = await open(p, constants.O_RDONLY);
    try {
      await handle.sync();
    } catch (e) {
      if (errno(e) !== "EINVAL") throw e;
    } finally {
      await handle.close();
    }
  }
}

/** Runs `sync -f root`; whether it succeeded (false where there is no such command or option). */
function syncfs(root: string): Promise<boolean> {
  if (root.includes("\n")) return spawnSyncCommand(root); // the helper reads one path per line
  syncHelper ??= new SyncHelper();
  return syncHelper.sync(root);
}

/** Spawns the `sync -f root` command itself, without the helper shell (asynchronously). */
function spawnSyncCommand(root: string): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn("sync", ["-f", root], { stdio: "ignore" });
    child.once("error", () => resolve(false));
    child.once("close", (code) => resolve(code === 0));
  });
}

let syncHelper: SyncHelper | undefined;

/**
 * One long-lived `sh` that runs `sync -f` for each path written to it and answers with the
 * exit code, one line each. Spawning `sync` itself from this process blocks the thread ~2.5 ms
 * per call (fork of a large, multi-threaded process), and a full apply syncs a dozen times
 * or more; the shell forks cheaply. It holds the event loop only while a sync is pending, and
 * ends when this process does (end of its input). If it cannot run, each sync falls back to
 * spawning `sync` directly.
 */
class SyncHelper {
  readonly #child: ChildProcessWithoutNullStreams | undefined;
  readonly #waiting: ((ok: boolean) => void)[] = [];
  #buffered = "";
  #broken = false;

  constructor() {
    try {
      this.#child = spawn("sh", ["-c", 'while IFS= read -r d; do sync -f -- "$d" >/dev/null 2>&1; echo $?; done'], { stdio: "pipe" });
    } catch {
      this.#broken = true;
      return;
    }
    const child = this.#child;
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      const lines = (this.#buffered + chunk).split("\n");
      this.#buffered = lines.pop() ?? "";
      for (const line of lines) this.#waiting.shift()?.(line === "0");
      this.#hold();
    });
    const broken = () => {
      this.#broken = true;
      for (const resolve of this.#waiting.splice(0)) resolve(false);
      this.#hold();
    };
    child.once("error", broken);
    child.once("close", broken);
    child.stdin.on("error", broken);
    this.#hold();
  }

  sync(path: string): Promise<boolean> {
    if (this.#broken || this.#child === undefined) return spawnSyncCommand(path);
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
      this.#hold();
      this.#child!.stdin.write(`${path}\n`);
    });
  }

  /** Keeps the event loop alive exactly while a sync is pending. */
  #hold(): void {
    const child = this.#child;
    if (child === undefined) return;
    const busy = this.#waiting.length > 0;
    for (const handle of [child, child.stdout, child.stdin] as { ref(): void; unref(): void }[]) {
      if (busy) handle.ref();
      else handle.unref();
    }
  }
}
