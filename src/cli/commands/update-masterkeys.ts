/**
 * `rekey update-masterkeys`: re-encrypts the sources whose master recipients differ from
 * rekey.yaml, and only those.
 */
import { updateMasterkeys } from "../../ops/update-masterkeys.js";
import { openRepo } from "../../store/config.js";
import { sourcePath } from "../../store/state.js";
import { writeLine, type CommandContext, type CommandSpec } from "../command.js";

export const command: CommandSpec = {
  name: "update-masterkeys",
  summary: "Re-encrypts the sources whose master recipients differ from rekey.yaml, and only those.",
  usage: "update-masterkeys",
  positionals: [0, 0],
  options: {},
};

export async function run(ctx: CommandContext): Promise<number> {
  const repo = openRepo(ctx.cwd);
  const result = await updateMasterkeys(repo, { env: ctx.env, notice: (line) => writeLine(ctx.stderr, line) });
  if (ctx.json) {
    writeLine(ctx.stdout, JSON.stringify({ format_version: 1, updated: result.updated, total: result.total, master: result.master }));
    return 0;
  }
  const n = result.master.length;
  const to = `the ${n} master recipient${n === 1 ? "" : "s"} in rekey.yaml`;
  if (result.updated.length === 0) {
    writeLine(ctx.stdout, `Every source (${result.total}) is already encrypted to ${to}; nothing to do.`);
    return 0;
  }
  for (const name of result.updated) writeLine(ctx.stdout, `  re-encrypted ${sourcePath(repo, name)}`);
  writeLine(ctx.stdout, `Re-encrypted ${result.updated.length} of ${result.total} sources to ${to}.`);
  writeLine(ctx.stdout, "Their digests changed, so the outputs made from them are now stale: run `rekey apply` to rekey the outputs.");
  return 0;
}
