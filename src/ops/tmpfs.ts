/**
 * The one place rekey may put plaintext on disk (SPEC "Guarantees"): `rekey edit`'s temp
 * file, mode 0600, in a mode-0700 folder on tmpfs, removed on every exit path.
 */
import { closeSync, constants, mkdtempSync, openSync, rmSync, statfsSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { RekeyError } from "../core/errors.js";

/** Filesystem magic numbers of memory-backed filesystems (statfs(2) f_type). */
const MEMORY_FS = new Set([0x01021994 /* tmpfs */, 0x858458f6 /* ramfs */]);

/** Where to look for tmpfs, in order. `shm` is a parameter so tests can take it away. */
export interface TmpfsOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly shm?: string;
}

/** True when `dir` is a folder on a memory-backed filesystem. */
export function isOnTmpfs(dir: string): boolean {
  try {
    return statSync(dir).isDirectory() && MEMORY_FS.has(Number(statfsSync(dir).type));
  } catch {
    return false;
  }
}

/**
 * The tmpfs folder to edit in: `$XDG_RUNTIME_DIR` if it is set and on tmpfs, else /dev/shm.
 * Never a disk-backed /tmp: throws IO when neither is available.
 */
export function pickTmpfsDir(options: TmpfsOptions): string {
  const xdg = options.env.XDG_RUNTIME_DIR;
  const candidates = [xdg !== undefined && xdg !== "" && path.isAbsolute(xdg) ? xdg : undefined, options.shm ?? "/dev/shm"];
  for (const dir of candidates) if (dir !== undefined && isOnTmpfs(dir)) return dir;
  throw new RekeyError("IO", "no tmpfs folder to edit in: $XDG_RUNTIME_DIR is unset or not on tmpfs, and /dev/shm does not exist", {
    hint: "rekey never puts a plaintext secret on a disk-backed /tmp. Set XDG_RUNTIME_DIR to a tmpfs folder, or use `rekey edit SECRET --input FILE|-` (no temp file).",
  });
}

/** A plaintext temp file for the editor, and how to get rid of it. */
export interface EditFile {
  readonly dir: string;
  readonly file: string;
  /** Removes the file and its folder (and anything the editor left there). Idempotent, synchronous. */
  dispose(): void;
}

/**
 * Creates `<tmpfs>/rekey-edit-XXXXXX/<basename>` (folder 0700, file 0600, created with
 * O_EXCL) holding `content`. The basename keeps the secret's extension so editors highlight it.
 * A process 'exit' hook removes it too, in case a caller forgets.
 */
export function createEditFile(secret: string, content: Uint8Array, options: TmpfsOptions): EditFile {
  const base = pickTmpfsDir(options);
  const dir = mkdtempSync(path.join(base, "rekey-edit-")); // mode 0700
  let disposed = false;
  const dispose = (): void => {
    if (disposed) return;
    disposed = true;
    process.off("exit", dispose);
    rmSync(dir, { recursive: true, force: true });
  };
  process.on("exit", dispose);
  const file = path.join(dir, path.posix.basename(secret));
  try {
    const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      writeFileSync(fd, content);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    dispose();
    throw new RekeyError("IO", `cannot create the temp file in ${base}: ${(e as Error).message}`, { hint: "Check that the folder is writable, or use `rekey edit SECRET --input FILE|-`.", cause: e });
  }
  return { dir, file, dispose };
}
