/**
 * Read access to the repository's files, so that one set of loaders (config, manifests,
 * state) can judge either the working tree or the git index (`rekey check --staged`).
 * Paths are repo-relative with '/' separators.
 */
import { createHash } from "node:crypto";
import { closeSync, constants, openSync, readdirSync, readFileSync, readSync } from "node:fs";
import path from "node:path";
import { RekeyError } from "../core/errors.js";
import { resolveInside, splitRelPath } from "./safe-path.js";

/** One entry of a folder. */
export interface RepoEntry {
  readonly name: string;
  readonly kind: "file" | "dir" | "symlink";
}

/** Where the loaders read the repository from. */
export interface RepoFiles {
  /** The entries directly in `dir`, in no particular order; [] when it does not exist. */
  entries(dir: string): RepoEntry[];
  /**
   * The paths, relative to `dir`, of everything under it whose name ends with `suffix`,
   * skipping names that start with '.' and the subfolder `ignore` (relative to `dir`);
   * [] when `dir` does not exist.
   */
  find(dir: string, suffix: string, ignore?: string): Promise<string[]>;
  /** The bytes of `rel`, or null when it does not exist. Throws a RekeyError naming `rel` otherwise. */
  read(rel: string): Promise<Uint8Array | null>;
  /** {@link RepoFiles.read}, synchronously (for rekey.yaml, manifests and pubkey files). */
  readSync(rel: string): Uint8Array | null;
  /**
   * The SHA-256 (hex) of `rel`, or null when it does not exist; errors as {@link RepoFiles.read}.
   * Reads in pieces: `plan` hashes every output, and an output may be a 64 MiB secret.
   */
  digestSync(rel: string): string | null;
}

/** SHA-256 (hex) of bytes in memory. */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/** The working tree under `root`; refuses symlinks that leave the repository. */
export function workingTreeFiles(root: string): RepoFiles {
  // Each folder is checked for symlinks leaving the repository once, not once per file:
  // plan reads thousands of outputs from a few hundred folders.
  const checkedDirs = new Map<string, string>();
  const inCheckedDir = (rel: string): string => {
    const segments = splitRelPath(rel);
    const name = segments.pop();
    if (name === undefined) return resolveInside(root, rel);
    const dirRel = segments.join("/");
    let dir = checkedDirs.get(dirRel);
    if (dir === undefined) {
      dir = resolveInside(root, dirRel);
      checkedDirs.set(dirRel, dir);
    }
    return path.join(dir, name);
  };
  return {
    entries(dir) {
      const abs = resolveInside(root, dir);
      try {
        return readdirSync(abs, { withFileTypes: true }).map((d) => ({ name: d.name, kind: d.isSymbolicLink() ? "symlink" : d.isDirectory() ? "dir" : "file" }));
      } catch {
        return [];
      }
    },
    find(dir, suffix, ignore) {
      const found: string[] = [];
      walk(resolveInside(root, dir), dir, "", { suffix, ignore }, found);
      return Promise.resolve(found);
    },
    read(rel) {
      // Synchronous on purpose: plan reads thousands of small outputs, and a thread-pool
      // round trip (open, fstat, read, close) per file costs several times the read itself.
      return Promise.resolve(this.readSync(rel));
    },
    readSync(rel) {
      return throughFile(root, inCheckedDir(rel), rel, (fd) => new Uint8Array(readFileSync(fd)));
    },
    digestSync(rel) {
      return throughFile(root, inCheckedDir(rel), rel, (fd) => {
        const hash = createHash("sha256");
        for (let n; (n = readSync(fd, piece, 0, piece.length, null)) > 0; ) hash.update(piece.subarray(0, n));
        return hash.digest("hex");
      });
    },
  };
}

// One buffer for every digest: no allocation, and no fstat, per file.
const piece = Buffer.allocUnsafe(64 * 1024);

/**
 * Opens `abs` (`rel` in the repository) without following a symlink, and hands the open file
 * to `use`. A symlink is allowed only if it stays inside the repository (resolveInside).
 */
function throughFile<T>(root: string, abs: string, rel: string, use: (fd: number) => T): T | null {
  let fd: number;
  try {
    fd = openSync(abs, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ELOOP") return missingOrThrow(rel, e);
    try {
      fd = openSync(resolveInside(root, rel), constants.O_RDONLY);
    } catch (e2) {
      return missingOrThrow(rel, e2);
    }
  }
  try {
    return use(fd);
  } catch (e) {
    return missingOrThrow(rel, e);
  } finally {
    closeSync(fd);
  }
}

/** Collects the paths ending with `suffix` at any depth, skipping dot-names and never entering a symlink (fast-glob cost the hook ~20 ms to load). */
function walk(abs: string, dir: string, rel: string, options: { suffix: string; ignore: string | undefined }, found: string[]): void {
  let entries;
  try {
    entries = readdirSync(abs, { withFileTypes: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return;
    throw new RekeyError("IO", `cannot list ${dir}/${rel}: ${(e as Error).message}`, { file: `${dir}/${rel}`, cause: e });
  }
  for (const entry of entries) {
    if (entry.name.startsWith(".")) continue;
    const child = rel === "" ? entry.name : `${rel}/${entry.name}`;
    if (child === options.ignore) continue;
    if (entry.name.endsWith(options.suffix)) found.push(child);
    if (entry.isDirectory()) walk(path.join(abs, entry.name), dir, child, options, found);
  }
}

function missingOrThrow(rel: string, e: unknown): null {
  if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
  throw new RekeyError("IO", `cannot read ${rel}: ${(e as Error).message}`, { file: rel, cause: e });
}
