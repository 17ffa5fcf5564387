/**
 * The git index as {@link RepoFiles}, for `rekey check --staged`: the loaders then judge what
 * is about to be committed. Blobs are read in batches (one `git cat-file --batch` each) by
 * {@link IndexFiles.prefetch}, or streamed without being kept by {@link IndexFiles.stream}.
 */
import { RekeyError } from "../core/errors.js";
import { sha256Hex, type RepoEntry, type RepoFiles } from "../store/repo-files.js";
import { listStaged, readBlobs, readBlobSync, streamBlobs, type StagedFile } from "../store/git-index.js";
import { splitRelPath } from "../store/safe-path.js";

/** Files of a folder with a suffix, as {@link RepoFiles.find} lists them. */
export interface Matching {
  readonly dir: string;
  readonly suffix: string;
}

/** The index under a folder, with a cache of prefetched blobs. */
export interface IndexFiles extends RepoFiles {
  /**
   * Reads, in one batch, the blobs of the files under `dirs` and of the `files` listed, except
   * those `except` matches (left to {@link IndexFiles.stream}).
   */
  prefetch(dirs: readonly string[], files: readonly string[], except?: Matching): Promise<void>;
  /**
   * Hands `visit` the blob of each file that `find(dir, suffix)` lists (`rel` repo-relative),
   * one at a time, keeping none: the outputs of a large fleet are hundreds of megabytes. A
   * staged symlink among them is refused (UNSAFE_PATH) before any is read.
   */
  stream(files: Matching, visit: (rel: string, bytes: Uint8Array) => void): Promise<void>;
}

/** The index entries under `root` (a git worktree or a folder of one). */
export async function openIndexFiles(root: string): Promise<IndexFiles> {
  const staged = new Map((await listStaged(root)).map((f): [string, StagedFile] => [f.path, f]));
  const blobs = new Map<string, Uint8Array>();
  // Sorted by path, the entries under a folder are one contiguous range, found by binary
  // search: plan lists each host's outputs folder, and a fleet of 2,000 hosts has 200,000
  // entries, which a filter per folder would scan 2,000 times.
  const sorted = [...staged.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const firstAtOrAfter = (key: string): number => {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[mid]!.path < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const under = (dir: string): StagedFile[] => {
    const pre = normal(dir);
    if (pre === "") return sorted;
    // The paths starting with "pre/" are those from "pre/" up to, not including, "pre0" ('0' follows '/').
    return sorted.slice(firstAtOrAfter(`${pre}/`), firstAtOrAfter(`${pre}0`));
  };
  const readSync = (rel: string): Uint8Array | null => {
    const entry = staged.get(normal(rel));
    if (entry === undefined) return null;
    if (entry.mode === "120000") {
      throw new RekeyError("UNSAFE_PATH", `${rel} is staged as a symlink; rekey judges only real files`, { file: rel, hint: `Stage the file itself instead of a symlink (\`git rm --cached ${rel}\`).` });
    }
    // Not prefetched (a file no batch covered): read on its own.
    return blobs.get(entry.oid) ?? readBlobSync(root, entry.oid);
  };
  /** The entries that `find(m.dir, m.suffix)` lists, in path order, with their paths relative to `m.dir`. */
  const matchingRel = (m: Matching): { entry: StagedFile; rel: string }[] => {
    const pre = normal(m.dir);
    return under(pre)
      .map((entry) => ({ entry, rel: pre === "" ? entry.path : entry.path.slice(pre.length + 1) }))
      .filter(({ rel }) => rel.endsWith(m.suffix) && !rel.split("/").some((seg) => seg.startsWith(".")));
  };
  const matching = (m: Matching): StagedFile[] => matchingRel(m).map(({ entry }) => entry);
  return {
    async prefetch(dirs, files, except) {
      const skip = new Set(except === undefined ? [] : matching(except));
      const wanted = [...dirs.flatMap(under).filter((f) => !skip.has(f)), ...files.map((f) => staged.get(normalOrEmpty(f))).filter((f) => f !== undefined)];
      const missing = wanted.filter((f) => f.mode !== "120000" && !blobs.has(f.oid)).map((f) => f.oid);
      for (const [oid, bytes] of await readBlobs(root, missing)) blobs.set(oid, bytes);
    },
    async stream(m, visit) {
      const entries = matching(m);
      for (const f of entries) if (f.mode === "120000") readSync(f.path); // throws UNSAFE_PATH
      // Blobs are content-addressed: files with the same content share one, read once.
      const byOid = new Map<string, string[]>();
      for (const f of entries) {
        const paths = byOid.get(f.oid);
        if (paths === undefined) byOid.set(f.oid, [f.path]);
        else paths.push(f.path);
      }
      await streamBlobs(root, [...byOid.keys()], (oid, bytes) => {
        for (const rel of byOid.get(oid)!) visit(rel, bytes);
      });
    },
    entries(dir) {
      const pre = normal(dir);
      const seen = new Map<string, RepoEntry>();
      for (const f of under(pre)) {
        const rest = pre === "" ? f.path : f.path.slice(pre.length + 1);
        const slash = rest.indexOf("/");
        const name = slash < 0 ? rest : rest.slice(0, slash);
        seen.set(name, { name, kind: slash >= 0 ? "dir" : f.mode === "120000" ? "symlink" : "file" });
      }
      return [...seen.values()];
    },
    find(dir, suffix, ignore) {
      const skip = ignore === undefined ? undefined : normal(ignore);
      const found = matchingRel({ dir, suffix })
        .map(({ rel }) => rel)
        .filter((rel) => skip === undefined || !(rel === skip || rel.startsWith(`${skip}/`)));
      return Promise.resolve(found);
    },
    read: (rel) => Promise.resolve().then(() => readSync(rel)),
    readSync,
    digestSync: (rel) => {
      const bytes = readSync(rel);
      return bytes === null ? null : sha256Hex(bytes);
    },
  };
}

function normal(rel: string): string {
  return splitRelPath(rel).join("/");
}

/** An unsafe path is never prefetched; reading it later reports the problem. */
function normalOrEmpty(rel: string): string {
  try {
    return normal(rel);
  } catch {
    return "";
  }
}
