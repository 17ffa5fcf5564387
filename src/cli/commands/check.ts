/**
 * `rekey check [--staged]`: the guard for the pre-commit hook and CI. Exit 1 when a secret is
 * in plaintext, a manifest is invalid, an output is stale or tampered, or the plan is not
 * empty. Starts fast: nothing here loads ink or react.
 */
import { checkRepo } from "../../check/gather.js";
import { problemsToJson, renderProblems } from "../../check/judge.js";
import { flag, type CommandContext, type CommandSpec } from "../command.js";

export const command: CommandSpec = {
  name: "check",
  summary: "Fails when a secret is in plaintext, a manifest is invalid, an output is stale or tampered, or the plan is not empty.",
  usage: "check [--staged]",
  positionals: [0, 0],
  options: {
    staged: { type: "boolean", description: "judge the git index (what is about to be committed), not the working tree" },
  },
};

export async function run(ctx: CommandContext): Promise<number> {
  const staged = flag(ctx, "staged");
  const problems = await checkRepo(ctx.cwd, { staged });
  if (ctx.json) ctx.stdout.write(JSON.stringify(problemsToJson(problems)) + "\n");
  else if (problems.length > 0) ctx.stdout.write(renderProblems(problems, staged));
  else ctx.stdout.write(`rekey check: ok (${staged ? "the staged files" : "the working tree"}: no plaintext, valid manifests, every output up to date).\n`);
  return problems.length === 0 ? 0 : 1;
}
