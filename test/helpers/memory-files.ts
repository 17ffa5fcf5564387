import path from "node:path";
import { sha256Hex, type RepoFiles } from "../../src/store/repo-files.js";

/** An in-memory repository: repo-relative paths ('/' separators) to their bytes. */
export function memoryFiles(files: Record<string, Uint8Array>): RepoFiles {
  const entries = (dir: string) => Object.keys(files).filter((f) => path.posix.dirname(f) === dir).map((f) => ({ name: path.posix.basename(f), kind: "file" as const }));
  return {
    entries,
    find: (dir, suffix) => Promise.resolve(Object.keys(files).filter((f) => f.startsWith(`${dir}/`) && f.endsWith(suffix)).map((f) => f.slice(dir.length + 1))),
    read: (rel) => Promise.resolve(files[rel] ?? null),
    readSync: (rel) => files[rel] ?? null,
    digestSync: (rel) => (files[rel] === undefined ? null : sha256Hex(files[rel])),
  };
}
