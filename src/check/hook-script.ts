/**
 * The text of rekey's git pre-commit hook, and the marked block that `--chain` appends to a
 * hook that is already there. Pure: no I/O.
 */

/** Opens rekey's block; its presence makes `rekey hook install` idempotent. */
export const HOOK_BEGIN = "# >>> rekey pre-commit check (rekey hook install) >>>";
/** Closes rekey's block. */
export const HOOK_END = "# <<< rekey pre-commit check <<<";

/** How the hook calls rekey. */
export interface HookCommand {
  /** The node binary that installed the hook; `node` from PATH when it is gone. */
  readonly node: string;
  /** The absolute path of bin/rekey.js; `npx --no-install rekey` when it is gone. */
  readonly script: string;
  /** The rekey repository relative to the git worktree's top ("" for the top itself). */
  readonly dir: string;
}

/**
 * The marked block. For `{node: "/usr/bin/node", script: "/opt/rekey/bin/rekey.js", dir: ""}`:
 *
 * ```sh
 * # >>> rekey pre-commit check (rekey hook install) >>>
 * # Refuses a commit that would leak a plaintext secret or carry stale outputs. Run
 * # `rekey hook install` again to refresh this block; delete it to remove the check.
 * rekey_node='/usr/bin/node'
 * rekey_script='/opt/rekey/bin/rekey.js'
 * [ -x "$rekey_node" ] || rekey_node=node
 * if [ -f "$rekey_script" ]; then
 *   RK_CA="${NODE_EXTRA_CA_CERTS-}" NODE_EXTRA_CA_CERTS= "$rekey_node" "$rekey_script" check --staged || exit $?
 * else
 *   npx --no-install rekey check --staged || exit $?
 * fi
 * # <<< rekey pre-commit check <<<
 * ```
 *
 * Node runs as bin/rekey.js's "#!" line runs it, where that matters to a check: without
 * parsing NODE_EXTRA_CA_CERTS at start (~50 ms for a system bundle; rekey opens no TLS
 * connection), the caller's value handed to the processes rekey starts (src/cli/launch-env.ts).
 * RK_CA comes first, so that it takes the caller's value in any sh.
 */
export function renderHookBlock(cmd: HookCommand): string {
  const args = `${cmd.dir === "" ? "" : `-C ${shellQuote(cmd.dir)} `}check --staged`;
  return [
    HOOK_BEGIN,
    "# Refuses a commit that would leak a plaintext secret or carry stale outputs. Run",
    "# `rekey hook install` again to refresh this block; delete it to remove the check.",
    `rekey_node=${shellQuote(cmd.node)}`,
    `rekey_script=${shellQuote(cmd.script)}`,
    `[ -x "$rekey_node" ] || rekey_node=node`,
    `if [ -f "$rekey_script" ]; then`,
    `  RK_CA="\${NODE_EXTRA_CA_CERTS-}" NODE_EXTRA_CA_CERTS= "$rekey_node" "$rekey_script" ${args} || exit $?`,
    "else",
    `  npx --no-install rekey ${args} || exit $?`,
    "fi",
    HOOK_END,
    "",
  ].join("\n");
}

/** A whole hook: a POSIX shell script holding only rekey's block. */
export function renderHook(cmd: HookCommand): string {
  return `#!/bin/sh\n${renderHookBlock(cmd)}`;
}

/** Replaces rekey's block in `text` with `block`; null when `text` has no (complete) block. */
export function replaceHookBlock(text: string, block: string): string | null {
  const begin = text.indexOf(HOOK_BEGIN);
  const end = text.indexOf(HOOK_END, begin);
  if (begin < 0 || end < 0) return null;
  const after = text.indexOf("\n", end);
  return text.slice(0, begin) + block + (after < 0 ? "" : text.slice(after + 1));
}

/** `text` with rekey's block appended, for `--chain`. */
export function appendHookBlock(text: string, block: string): string {
  const sep = text === "" || text.endsWith("\n") ? "" : "\n";
  return `${text}${sep}\n${block}`;
}

/** Whether a hook's shebang names a POSIX-compatible shell (or it has none: git runs it with sh). */
export function isShellScript(text: string): boolean {
  if (!text.startsWith("#!")) return true;
  const line = text.slice(2, text.indexOf("\n") < 0 ? undefined : text.indexOf("\n")).trim();
  const words = line.split(/\s+/);
  const program = words[0]?.endsWith("/env") === true ? words.find((w, i) => i > 0 && !w.startsWith("-")) : words[0];
  return /(^|\/)(sh|bash|dash|zsh|ksh|ash)$/.test(program ?? "");
}

/** Whether a hook may stop before an appended block runs (an `exit` or `exec` at the start of a line). */
export function mayExitEarly(text: string): boolean {
  return /^\s*(exit|exec)\b/m.test(text);
}

/** Single-quotes `s` for sh. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
