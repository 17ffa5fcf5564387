/**
 * Read access to the git index, for `rekey check --staged`: it judges what is about to be
 * committed, not the working tree. Runs git directly (no shell).
 */
import { spawn, spawnSync } from "node:child_process";
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
  const blobs = new Map<string, Uint8Array>();
  await streamBlobs(root, oids, (oid, bytes) => blobs.set(oid, bytes));
  return blobs;
}

/** A git object id as rekey passes it to git: hex only, so it can never be read as an option. */
const OBJECT_ID = /^[0-9a-f]{4,64}$/i;

/** Reads one blob with `git cat-file blob`, synchronously: for a file no batch covered. */
export function readBlobSync(root: string, oid: string): Uint8Array {
  if (!OBJECT_ID.test(oid)) throw new Error(`readBlobSync: not an object id: ${JSON.stringify(oid)}`);
  const r = spawnSync("git", ["cat-file", "blob", oid], { cwd: root, env: gitEnv(), maxBuffer: Number.MAX_SAFE_INTEGER });
  if (r.status !== 0) {
    throw new RekeyError("IO", `the git object ${oid} is missing or is not a file`, { file: ".", hint: "run `git status` and `git fsck` to check the repository", cause: r.error });
  }
  return new Uint8Array(r.stdout);
}

/**
 * Reads many blobs through one `git cat-file --batch` process and hands each to `visit` as it
 * arrives (each oid once, in order), so that only the blob being read is held: the outputs of
 * a large fleet are hundreds of megabytes in all. `visit` may keep the bytes it is given.
 */
export async function streamBlobs(root: string, oids: readonly string[], visit: (oid: string, bytes: Uint8Array) => void): Promise<void> {
  const wanted = [...new Set(oids)];
  if (wanted.length === 0) return;
  const bad = wanted.find((oid) => !OBJECT_ID.test(oid));
  if (bad !== undefined) throw new Error(`readBlobs: not an object id: ${JSON.stringify(bad)}`);
  const parser = new BatchParser(wanted, visit);
  await runGit(root, ["cat-file", "--batch"], ".", `${wanted.join("\n")}\n`, (chunk) => parser.push(chunk));
  parser.end();
}

/**
 * The output of `git cat-file --batch`, parsed as it comes: for each object, a line
 * "<oid> <type> <size>" (or "<oid> missing"), then `size` bytes of content and a newline.
 */
class BatchParser {
  private next = 0;
  private line: Buffer[] = [];
  private body: Uint8Array | undefined;
  private filled = 0;
  /** The newline after a body is still to come. */
  private afterBody = false;

  constructor(
    private readonly oids: readonly string[],
    private readonly visit: (oid: string, bytes: Uint8Array) => void,
  ) {}

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.afterBody) {
        // The newline that ends each object's content; anything else means the stream is not
        // what was asked for (git or the object ids disagree), and nothing after it can be trusted.
        if (chunk[at] !== 0x0a) throw new RekeyError("IO", "git cat-file printed an unexpected object layout", { file: ".", hint: "run `git fsck` to check the repository" });
        this.afterBody = false;
        at++;
      } else if (this.body !== undefined) {
        const n = Math.min(this.body.length - this.filled, chunk.length - at);
        this.body.set(chunk.subarray(at, at + n), this.filled);
        this.filled += n;
        at += n;
        if (this.filled === this.body.length) this.finishBody();
      } else {
        const eol = chunk.indexOf(0x0a, at);
        if (eol < 0) {
          this.line.push(chunk.subarray(at));
          return;
        }
        this.line.push(chunk.subarray(at, eol));
        at = eol + 1;
        this.startBody(Buffer.concat(this.line).toString("utf8"));
        this.line = [];
      }
    }
  }

  /** Throws unless every object was read whole. */
  end(): void {
    if (this.next < this.oids.length || this.body !== undefined) this.missing(this.oids[this.next] ?? "?");
  }

  private startBody(header: string): void {
    const oid = this.oids[this.next] ?? "?";
    const [, type, size] = header.split(" ");
    const length = Number(size);
    if (type !== "blob" || size === undefined || !Number.isSafeInteger(length) || length < 0) this.missing(oid);
    this.body = new Uint8Array(length);
    this.filled = 0;
    if (length === 0) this.finishBody();
  }

  private finishBody(): void {
    const bytes = this.body!;
    this.body = undefined;
    this.afterBody = true;
    this.visit(this.oids[this.next++]!, bytes);
  }

  private missing(oid: string): never {
    throw new RekeyError("IO", `the git object ${oid} is missing or is not a file`, { file: ".", hint: "run `git status` and `git fsck` to check the repository" });
  }
}

/**
 * Runs git in `root`, returns its stdout, or hands it to `onStdout` chunk by chunk (then
 * returns an empty buffer); `file` (repo-relative) is what errors are about. An error thrown
 * by `onStdout` stops git and is thrown here.
 */
async function runGit(root: string, args: string[], file: string, input?: string, onStdout?: (chunk: Buffer) => void): Promise<Buffer> {
  const child = spawn("git", args, { cwd: root, env: gitEnv(), stdio: ["pipe", "pipe", "pipe"] });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  let consumerError: Error | undefined;
  child.stdout.on("data", (chunk: Buffer) => {
    if (onStdout === undefined) stdout.push(chunk);
    else if (consumerError === undefined) {
      try {
        onStdout(chunk);
      } catch (e) {
        consumerError = e instanceof Error ? e : new Error(String(e));
        child.kill();
      }
    }
  });
  child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
  child.stdin.on("error", () => undefined); // git died early: its exit status tells why
  child.stdin.end(input ?? "");
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", resolve);
  }).catch((e: unknown) => {
    throw new RekeyError("IO", `could not run git in ${root}`, { file, hint: "install git and check that the folder exists", cause: e });
  });
  if (consumerError !== undefined) throw consumerError;
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
