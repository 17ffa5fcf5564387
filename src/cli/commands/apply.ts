/**
 * `rekey apply [PLANFILE]`: generates, rekeys and removes, under the repository lock.
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { applyWork, isEmptyWork, WorkGatherer, workOf, type ApplyWork } from "../../apply/apply.js";
import { discardPrestarted, prestartWorkers } from "../../apply/workers.js";
import { RekeyError } from "../../core/errors.js";
import { writePlanJson, writePlanText } from "../../core/plan-format.js";
import { planActions, planRekey, type PlanFilter } from "../../core/planner.js";
import { openRepo } from "../../store/config.js";
import { loadMasterIdentities } from "../../store/identities.js";
import { lockForWriting } from "../../store/write-lock.js";
import { parsePlanFile } from "../../store/plan-file.js";
import { loadState, type LoadedState } from "../../store/state.js";
import { createReporter } from "../reporter.js";
import { readFilter } from "../filters.js";
import { flag, writeWithBackpressure, type CommandContext, type CommandSpec } from "../command.js";
import { askYesNo } from "../prompt.js";

export const command: CommandSpec = {
  name: "apply",
  summary: "Generates missing secrets, rekeys outputs for each host, and removes orphans.",
  usage: "apply [PLANFILE] [--host H]... [--secret S]... [--yes]",
  positionals: [0, 1],
  options: {
    host: { type: "string", multiple: true, valueName: "H", description: "only this host (repeatable)" },
    secret: { type: "string", multiple: true, valueName: "S", description: "only this secret or glob (repeatable)" },
    yes: { type: "boolean", short: "y", description: "do not ask for confirmation" },
  },
};

export async function run(ctx: CommandContext): Promise<number> {
  const repo = openRepo(ctx.cwd);
  const lock = await lockForWriting(repo, "rekey apply");
  try {
    // Started as the process started (early-start.ts), or now when run in process; they
    // boot while the repository is read and planned, and the pool adopts or stops them.
    prestartWorkers();
    const loaded = await loadState(repo);
    const planFile = ctx.positionals[0];
    let filter: PlanFilter = readFilter(ctx, loaded);
    if (planFile !== undefined) {
      const saved = parsePlanFile(planFile, await readPlanFile(ctx.cwd, planFile));
      if (saved.state !== loaded.fingerprint) {
        throw new RekeyError("STALE_PLAN", `the plan in ${planFile} is stale: the repository changed since it was made`, {
          file: planFile,
          hint: "Run `rekey plan --out FILE` again, review it, then `rekey apply FILE`.",
        });
      }
      filter = saved.filter;
    }
    const work = await showPlan(ctx, loaded, filter);
    if (work === null) return 0;
    if (planFile === undefined && !flag(ctx, "yes")) {
      if (!ctx.interactive || ctx.json) {
        throw new RekeyError("NEEDS_CONFIRMATION", "apply needs confirmation, and there is no terminal to ask on", {
          hint: "Pass --yes, or save a plan with `rekey plan --out FILE` and run `rekey apply FILE`.",
        });
      }
      if (!(await askYesNo(ctx, "Apply these changes?"))) {
        ctx.stderr.write("Nothing was changed.\n");
        return 1;
      }
    }
    const needsKeys = work.generation.length > 0 || work.rekeys.length > 0;
    const master = needsKeys ? loadMasterIdentities(repo, ctx.env) : { identities: [], notices: [] };
    const reporter = await createReporter(ctx);
    try {
      for (const message of master.notices) reporter.notify({ type: "notice", message });
      await applyWork(loaded, work, filter, {
        identities: master.identities,
        reporter,
        generate: async (state, actions) => {
          const { runGeneration } = await import("../../generate/run.js");
          await runGeneration(state, actions, { identities: master.identities, reporter, env: ctx.env });
        },
      });
    } finally {
      await reporter.close?.();
    }
    return 0;
  } finally {
    await discardPrestarted();
    await lock.release();
  }
}

/**
 * Plans, prints the plan, and returns its work, or null when there is nothing to do. The plan
 * itself is not returned: once printed, its action objects are garbage (see ApplyWork). With
 * `--json`, it is never whole: each action is printed and gathered as the planner makes it.
 */
async function showPlan(ctx: CommandContext, loaded: LoadedState, filter: PlanFilter): Promise<ApplyWork | null> {
  if (ctx.json) {
    const gatherer = new WorkGatherer();
    await writePlanJson(gatherer.tap(planActions(loaded.state, filter)), writeWithBackpressure(ctx.stdout), { type: "plan" });
    const work = gatherer.finish();
    return isEmptyWork(work) ? null : work;
  }
  const plan = planRekey(loaded.state, filter);
  if (plan.actions.length === 0) {
    ctx.stdout.write("No changes: every output is up to date.\n");
    return null;
  }
  if (ctx.color) ctx.stdout.write((await import("../../ui/plan-view.js")).renderPlanTty(plan, ctx.stdout.columns || 100) + "\n");
  else {
    await writePlanText(plan, writeWithBackpressure(ctx.stdout));
    ctx.stdout.write("\n");
  }
  return workOf(plan);
}

async function readPlanFile(cwd: string, file: string): Promise<string> {
  try {
    return await readFile(resolve(cwd, file), "utf8");
  } catch (e) {
    throw new RekeyError("BAD_PLAN_FILE", `cannot read plan file ${file}: ${(e as Error).message}`, { file, hint: "Make one with `rekey plan --out FILE`." });
  }
}
