/**
 * `rekey plan`: what apply would do, with reasons. Decrypts nothing, writes nothing but --out.
 */
import { writePlanJson, writePlanText } from "../../core/plan-format.js";
import { planRekey } from "../../core/planner.js";
import { openRepo } from "../../store/config.js";
import { writeFileAtomic } from "../../store/atomic.js";
import { renderPlanFile } from "../../store/plan-file.js";
import { loadState } from "../../store/state.js";
import { readFilter } from "../filters.js";
import { flag, stringOption, writeWithBackpressure, type CommandContext, type CommandSpec } from "../command.js";
import { basename, dirname, resolve } from "node:path";

export const command: CommandSpec = {
  name: "plan",
  summary: "Shows every action apply would take, with its reason. Decrypts nothing.",
  usage: "plan [--host H]... [--secret S]... [--out FILE] [--detailed-exitcode]",
  positionals: [0, 0],
  options: {
    host: { type: "string", multiple: true, valueName: "H", description: "only this host (repeatable)" },
    secret: { type: "string", multiple: true, valueName: "S", description: "only this secret or glob (repeatable)" },
    out: { type: "string", valueName: "FILE", description: "save the plan for `rekey apply FILE`" },
    "detailed-exitcode": { type: "boolean", description: "exit 2 when changes are pending, 0 when none" },
  },
};

export async function run(ctx: CommandContext): Promise<number> {
  const repo = openRepo(ctx.cwd);
  const loaded = await loadState(repo);
  const filter = readFilter(ctx, loaded);
  const plan = planRekey(loaded.state, filter);
  const out = stringOption(ctx, "out");
  if (out !== undefined) {
    const abs = resolve(ctx.cwd, out);
    // The plan file may live anywhere: written atomically in its own folder, never through a symlink.
    await writeFileAtomic(dirname(abs), basename(abs), renderPlanFile(plan, loaded.fingerprint, filter), { mode: 0o600 });
  }
  if (ctx.json) await writePlanJson(plan.actions, writeWithBackpressure(ctx.stdout));
  else if (ctx.color) {
    const { renderPlanTty } = await import("../../ui/plan-view.js");
    ctx.stdout.write(renderPlanTty(plan, ctx.stdout.columns || 100));
  } else await writePlanText(plan, writeWithBackpressure(ctx.stdout));
  if (out !== undefined && !ctx.json) ctx.stderr.write(`Saved the plan to ${out}. Run \`rekey apply ${out}\` to carry it out.\n`);
  return flag(ctx, "detailed-exitcode") && plan.actions.length > 0 ? 2 : 0;
}
