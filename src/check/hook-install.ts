/**
 * `rekey hook install`: writes the git pre-commit hook where git looks for it (`git rev-parse
 * --git-path hooks`, so core.hooksPath is honoured). Never overwrites a hook that is not rekey's.
 */
import { execFile } from "node:child_process";
import { chmod, lstat, mkdir, readFile } from "node:fs/promises";
import { realpathSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { RekeyError } from "../core/errors.js";
import { writeFileAtomic } from "../store/atomic.js";
import { findRepoRoot } from "../store/config.js";
import { appendHookBlock, isShellScript, mayExitEarly, renderHook, renderHookBlock, replaceHookBlock } from "./hook-script.js";

/** Options of {@link installHook}. */
export interface HookInstallOptions {
  /** Append rekey's block to a hook that is already there, instead of refusing. */
  readonly chain: boolean;
  /** The node binary and the bin/rekey.js the hook should run. */
  readonly node: string;
  readonly script: string;
}

/** What {@link installHook} did. */
export interface HookInstallResult {
  /** The hook's absolute path. */
  readonly path: string;
  readonly status: "installed" | "updated" | "unchanged" | "chained";
  /** Things the user should know, one sentence each. */
  readonly notes: readonly string[];
}

/** Installs (or refreshes) the pre-commit hook for the rekey repository at or above `start`. */
export async function installHook(start: string, options: HookInstallOptions): Promise<HookInstallResult> {
  const root = findRepoRoot(start);
  const { top, hooks } = await gitPaths(root);
  const dir = path.relative(top, realpathSync(root)).split(path.sep).join("/");
  const hookPath = path.join(hooks, "pre-commit");
  const cmd = { node: options.node, script: options.script, dir };
  const existing = await readExisting(hookPath);
  let text: string;
  let status: HookInstallResult["status"];
  const notes: string[] = [];
  if (existing === null) {
    text = renderHook(cmd);
    status = "installed";
  } else {
    const refreshed = replaceHookBlock(existing.text, renderHookBlock(cmd));
    if (refreshed !== null) {
      text = refreshed;
      status = refreshed === existing.text ? "unchanged" : "updated";
    } else if (!options.chain) {
      throw new RekeyError("HOOK_EXISTS", `${hookPath} already exists and is not rekey's; it was left unchanged`, {
        file: hookPath,
        hint: "Run `rekey hook install --chain` to append rekey's check to it (your hook is kept), or call `rekey check --staged` from it yourself (see docs/pre-commit.md).",
      });
    } else if (!isShellScript(existing.text)) {
      throw new RekeyError("HOOK_EXISTS", `${hookPath} is not a shell script, so rekey cannot append to it; it was left unchanged`, {
        file: hookPath,
        hint: "Call `rekey check --staged` from your hook yourself, and fail the commit when it exits non-zero (see docs/pre-commit.md).",
      });
    } else {
      text = appendHookBlock(existing.text, renderHookBlock(cmd));
      status = "chained";
      if (mayExitEarly(existing.text)) notes.push(`${hookPath} has an \`exit\` or \`exec\` line: make sure it does not stop before rekey's block at its end.`);
    }
  }
  if (status !== "unchanged") {
    await mkdir(hooks, { recursive: true });
    await writeFileAtomic(hooks, "pre-commit", text, { mode: existing === null ? 0o755 : existing.mode | 0o111 });
  } else if ((existing!.mode & 0o111) !== 0o111) {
    await chmod(hookPath, existing!.mode | 0o111);
  }
  return { path: hookPath, status, notes };
}

async function readExisting(hookPath: string): Promise<{ text: string; mode: number } | null> {
  try {
    const st = await lstat(hookPath);
    if (st.isSymbolicLink()) {
      throw new RekeyError("HOOK_EXISTS", `${hookPath} is a symlink; rekey does not write through it`, { file: hookPath, hint: "Call `rekey check --staged` from the hook it points to (see docs/pre-commit.md)." });
    }
    return { text: await readFile(hookPath, "utf8"), mode: st.mode & 0o7777 };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
}

/** The worktree's top and the hooks folder, both absolute. */
async function gitPaths(root: string): Promise<{ top: string; hooks: string }> {
  let out: string;
  try {
    out = (await promisify(execFile)("git", ["rev-parse", "--show-toplevel", "--git-path", "hooks"], { cwd: root })).stdout;
  } catch (e) {
    const message = (e as { stderr?: string }).stderr ?? (e as Error).message;
    throw new RekeyError("IO", `${root} is not inside a git work tree: ${message.trim().split("\n")[0] ?? ""}`, { file: root, hint: "Run `git init` first, then `rekey hook install`." });
  }
  const [top = "", hooks = ""] = out.split("\n");
  return { top, hooks: path.resolve(root, hooks) };
}
