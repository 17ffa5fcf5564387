/**
 * `rekey hook install [--chain]`: installs the git pre-commit hook that runs
 * `rekey check --staged`. Running it again refreshes rekey's block and is otherwise harmless.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { UsageError } from "../../core/errors.js";
import { installHook } from "../../check/hook-install.js";
import { flag, writeLine, type CommandContext, type CommandSpec } from "../command.js";

export const command: CommandSpec = {
  name: "hook",
  summary: "Installs a git pre-commit hook that runs `rekey check --staged`.",
  usage: "hook install [--chain]",
  positionals: [1, 1],
  options: {
    chain: { type: "boolean", description: "append rekey's check to an existing pre-commit hook instead of refusing" },
  },
};

export async function run(ctx: CommandContext): Promise<number> {
  if (ctx.positionals[0] !== "install") throw new UsageError(`unknown hook action '${ctx.positionals[0] ?? ""}'`, "Usage: rekey hook install [--chain]");
  const result = await installHook(ctx.cwd, { chain: flag(ctx, "chain"), node: process.execPath, script: rekeyScript() });
  if (ctx.json) {
    writeLine(ctx.stdout, JSON.stringify(result));
    return 0;
  }
  const said = {
    installed: "Installed the pre-commit hook",
    updated: "Updated rekey's check in the pre-commit hook",
    unchanged: "The pre-commit hook is already installed",
    chained: "Appended rekey's check to the existing pre-commit hook",
  }[result.status];
  writeLine(ctx.stdout, `${said}: ${result.path}. Each commit now runs \`rekey check --staged\`.`);
  for (const note of result.notes) writeLine(ctx.stderr, `note: ${note}`);
  return 0;
}

/** bin/rekey.js of this installation, found by walking up from this module (src/ or dist/). */
function rekeyScript(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, "bin", "rekey.js");
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return candidate; // not found: the hook falls back to npx
    dir = parent;
  }
}
