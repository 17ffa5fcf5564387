/**
 * Read access to the git index, for `rekey check --staged`: it judges what is about to be
 * committed, not the working tree. Runs git directly (no shell).
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { RekeyError } from "../core/errors.js";
import { splitRelPath } from "./safe-path.js";

/** One entry of the git index. */
export interface StagedFile {
  /** Relative to the `root` given to {@link listStaged}, posix separators. */
  readonly path: string;
  /** Octal git mode, e.g. "100644", "100755", "120000" (symlink). */
  readonly mode: string;
  /** The blob's object id (SHA-1 or SHA-256 hex). */
  readonly oid: string;
}

/**
 * The files in the git index under `prefix` (a repo-relative folder; default: all), read with
 * `git ls-files -s -z` in `root`. `root` may be a subfolder of the git worktree; paths are then
 * relative to `root`. Only merged (stage 0) entries are listed; submodules are skipped.
 * Throws `IO` with a hint if `root` is not in a git repository.
 */
export async function listStaged(root: string, prefix = ""): Promise<StagedFile[]> {
  const pre = splitRelPath(prefix).join("/");
  const args = ["ls-files", "-s", "-z", ...(pre === "" ? [] : ["--", `:(literal)${pre}`])];
  const out = await runGit(root, args, pre === "" ? "." : pre);
  const files: StagedFile[] = [];
  for (const record of out.toString("utf8").split("\0")) {
    const tab = record.indexOf("\t");
    if (tab < 0) continue;
    const [mode = "", oid = "", stage] = record.slice(0, tab).split(" ");
    const file = record.slice(tab + 1);
    if (stage !== "0" || mode === "160000") continue; // conflicts and submodules have no blob to judge
    if (pre !== "" && !file.startsWith(`${pre}/`)) continue;
    files.push({ path: file, mode, oid });
  }
  return files;
}

/** Reads many blobs through one `git cat-file --batch` process; returns oid -> bytes. */
export async function readBlobs(root: string, oids: readonly string[]): Promise<Map<string, Uint8Array>> {
  const wanted = [...new Set(oids)];
  const blobs = new Map<string, Uint8Array>();
  if (wanted.length === 0) return blobs;
  const bad = wanted.find((oid) => !/^[0-9a-f]{4,64}$/i.test(oid));
  if (bad !== undefined) throw new Error(`readBlobs: not an object id: ${JSON.stringify(bad)}`);
  const out = await runGit(root, ["cat-file", "--batch"], ".", `${wanted.join("\n")}\n`);
  let pos = 0;
  for (const oid of wanted) {
    const eol = out.indexOf(0x0a, pos);
    const [, type, size] = out.toString("utf8", pos, eol < 0 ? out.length : eol).split(" ");
    if (eol < 0 || type !== "blob" || size === undefined) {
      throw new RekeyError("IO", `the git object ${oid} is missing or is not a file`, { file: ".", hint: "run `git status` and `git fsck` to check the repository" });
    }
    const start = eol + 1;
    blobs.set(oid, new Uint8Array(out.subarray(start, start + Number(size)))); // a copy, detached from `out`
    pos = start + Number(size) + 1; // content is followed by a newline
  }
  return blobs;
}

/** Runs git in `root`, returns its stdout; `file` (repo-relative) is what errors are about. */
async function runGit(root: string, args: string[], file: string, input?: string): Promise<Buffer> {
  const child = spawn("git", args, { cwd: root, env: gitEnv(), stdio: ["pipe", "pipe", "pipe"] });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
  child.stdin.on("error", () => undefined); // git died early: its exit status tells why
  child.stdin.end(input ?? "");
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", resolve);
  }).catch((e: unknown) => {
    throw new RekeyError("IO", `could not run git in ${root}`, { file, hint: "install git and check that the folder exists", cause: e });
  });
  if (code === 0) return Buffer.concat(stdout);
  const message = Buffer.concat(stderr).toString("utf8").trim();
  if (/not a git repository/i.test(message)) {
    throw new RekeyError("IO", `${root} is not inside a git repository`, { file, hint: "run `git init` first, or run `rekey check` without --staged" });
  }
  throw new RekeyError("IO", `git ${args[0] ?? ""} failed: ${message || `exit status ${String(code)}`}`, { file, hint: "run `git status` to see what is wrong with the repository" });
}

/**
 * Our environment for git, which we run in `root`, not in our own cwd. A relative GIT_DIR or
 * GIT_WORK_TREE is meant relative to our cwd, so make it absolute; and GIT_DIR without
 * GIT_WORK_TREE means "the worktree is the cwd", our cwd, so say so. GIT_INDEX_FILE (set by git
 * for hooks) is left alone: git reads a relative one from the worktree's top, wherever it runs.
 */
function gitEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env }; // a copy: never mutate our own environment
  if (env.GIT_DIR && !env.GIT_WORK_TREE) env.GIT_WORK_TREE = process.cwd();
  for (const name of ["GIT_DIR", "GIT_WORK_TREE"]) {
    const value = env[name];
    if (value !== undefined && value !== "" && !path.isAbsolute(value)) env[name] = path.resolve(value);
  }
  return env;
}
