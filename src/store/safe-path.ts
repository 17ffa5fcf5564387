/**
 * Path containment for everything rekey reads or writes: a repo-relative name never
 * escapes the repository, whether by `..`, an absolute path, or a symlink.
 */
import { lstatSync, readlinkSync, realpathSync, type Stats } from "node:fs";
import path from "node:path";
import { RekeyError } from "../core/errors.js";

/** Options for {@link resolveInside}. */
export interface ResolveOptions {
  /** Refuse any symlink on the way, even one that stays inside the repository (for writes). */
  readonly noSymlinks?: boolean;
}

/**
 * Resolves repo-relative `rel` (posix separators) under `root` and returns the absolute path.
 *
 * Throws `UNSAFE_PATH` if `rel` is absolute, contains a `..` segment, a NUL or a newline, or
 * if any existing component (the final one included) is a symlink whose target leaves the
 * repository, or, with `options.noSymlinks`, is a symlink at all. `""` and `"."` name `root`.
 * Components that do not exist yet are fine: callers may be about to create them.
 */
export function resolveInside(root: string, rel: string, options: ResolveOptions = {}): string {
  const segments = splitRelPath(rel);
  const base = path.resolve(root);
  let realRoot: string | undefined;
  let current = base;
  for (const segment of segments) {
    current = path.join(current, segment);
    const stats = lstatOrUndefined(current);
    if (stats === undefined) break; // the rest does not exist yet, so it cannot be a symlink
    if (!stats.isSymbolicLink()) continue;
    if (options.noSymlinks === true) {
      throw unsafe(rel, `${rel} goes through a symlink (${path.relative(base, current)}), which rekey refuses to write through`);
    }
    realRoot ??= realpathSync(base);
    if (!isWithin(realRoot, symlinkTarget(current))) {
      throw unsafe(rel, `${rel} goes through a symlink (${path.relative(base, current)}) that points outside the repository`);
    }
  }
  return segments.length === 0 ? base : path.join(base, ...segments);
}

/** lstat-based: true if `p` exists and is a symlink (a dangling one included). */
export function isSymlink(p: string): boolean {
  return lstatOrUndefined(p)?.isSymbolicLink() ?? false;
}

/**
 * Checks only the spelling of repo-relative `rel` (no filesystem access) and returns its
 * segments; throws `UNSAFE_PATH` if it is absolute or has `..`, a NUL or a newline.
 */
export function splitRelPath(rel: string): string[] {
  if (/[\0\n\r]/.test(rel)) throw unsafe(rel, `the path ${JSON.stringify(rel)} contains a NUL or newline character`);
  if (path.posix.isAbsolute(rel) || path.win32.isAbsolute(rel)) throw unsafe(rel, `the path ${rel} is absolute`);
  const segments = rel.split("/").filter((s) => s !== "" && s !== ".");
  if (segments.includes("..")) throw unsafe(rel, `the path ${rel} contains '..'`);
  return segments;
}

/** Where a symlink really leads; for a dangling one, its target resolved from its real folder. */
function symlinkTarget(link: string): string {
  try {
    return realpathSync(link);
  } catch {
    return path.resolve(realpathSync(path.dirname(link)), readlinkSync(link));
  }
}

function isWithin(parent: string, child: string): boolean {
  const relative = path.relative(parent, child);
  return relative === "" || (relative !== ".." && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative));
}

function lstatOrUndefined(p: string): Stats | undefined {
  try {
    return lstatSync(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw e;
  }
}

function unsafe(rel: string, message: string): RekeyError {
  return new RekeyError("UNSAFE_PATH", message, {
    file: rel,
    hint: "use a plain relative path inside the repository, and replace symlinks with real files or folders",
  });
}
