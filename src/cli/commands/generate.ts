/**
 * `rekey generate [SECRET]... [--tag T] [--force] [--dry-run]`: runs the generators of
 * missing secrets, dependencies first.
 */
import { renderPlanText } from "../../core/plan-format.js";
import { summarize } from "../../core/plan.js";
import { runGeneration } from "../../generate/run.js";
import { selectGeneration } from "../../generate/select.js";
import { openRepo } from "../../store/config.js";
import { loadMasterIdentities } from "../../store/identities.js";
import { lockForWriting } from "../../store/write-lock.js";
import { loadState } from "../../store/state.js";
import { createReporter } from "../reporter.js";
import { flag, listOption, type CommandContext, type CommandSpec } from "../command.js";

export const command: CommandSpec = {
  name: "generate",
  summary: "Runs the generators of missing secrets, dependencies first.",
  usage: "generate [SECRET]... [--tag T]... [--force] [--dry-run]",
  positionals: [0, Infinity],
  options: {
    tag: { type: "string", multiple: true, valueName: "T", description: "only secrets with this tag (repeatable)" },
    force: { type: "boolean", description: "regenerate the named secrets even if they exist, then their dependents" },
    "dry-run": { type: "boolean", description: "show what would be generated, change nothing" },
  },
};

export async function run(ctx: CommandContext): Promise<number> {
  const repo = openRepo(ctx.cwd);
  const lock = await lockForWriting(repo, "rekey generate");
  try {
    const loaded = await loadState(repo);
    const actions = selectGeneration(loaded.state, { secrets: ctx.positionals, tags: listOption(ctx, "tag"), force: flag(ctx, "force") });
    const plan = { actions, summary: summarize(actions) };
    if (actions.length === 0) {
      const narrowed = ctx.positionals.length > 0 || listOption(ctx, "tag").length > 0;
      const why = narrowed ? "the named secrets and tags need no generation" : "every declared secret exists";
      ctx.stdout.write(ctx.json ? JSON.stringify({ type: "done", generated: [] }) + "\n" : `Nothing to generate: ${why}.\n`);
      return 0;
    }
    if (flag(ctx, "dry-run")) {
      ctx.stdout.write(ctx.json ? JSON.stringify({ type: "plan", actions }) + "\n" : renderPlanText(plan));
      return 0;
    }
    const generating = new Set(actions.map((a) => a.secret));
    const needsKeys = loaded.hosts.some((h) => h.secrets.some((s) => generating.has(s.name) && s.dependencies.some((d) => !generating.has(d))));
    const master = needsKeys ? loadMasterIdentities(repo, ctx.env) : { identities: [], notices: [] };
    const reporter = await createReporter(ctx);
    let generated: string[];
    try {
      for (const message of master.notices) reporter.notify({ type: "notice", message });
      generated = await runGeneration(loaded, actions, { identities: master.identities, reporter, env: ctx.env });
    } finally {
      await reporter.close?.();
    }
    if (ctx.json) ctx.stdout.write(JSON.stringify({ type: "done", generated }) + "\n");
    else ctx.stdout.write(`\nGenerated ${generated.length} secret${generated.length === 1 ? "" : "s"}. Run \`rekey apply\` to rekey them to their hosts.\n`);
    return 0;
  } finally {
    await lock.release();
  }
}
