/**
 * The --host / --secret filters of plan and apply, checked against the repository so that a
 * typo is an error rather than an empty plan.
 */
import { RekeyError } from "../core/errors.js";
import type { PlanFilter } from "../core/planner.js";
import type { LoadedState } from "../store/state.js";
import { listOption, type CommandContext } from "./command.js";

/** Reads the filters from the command line and checks that every named host exists. */
export function readFilter(ctx: CommandContext, loaded: LoadedState): PlanFilter {
  const filter = { hosts: listOption(ctx, "host"), secrets: listOption(ctx, "secret") };
  const known = new Set([...loaded.state.hosts.map((h) => h.name), ...loaded.state.outputs.keys()]);
  const unknown = filter.hosts.filter((h) => !known.has(h));
  if (unknown.length > 0) {
    throw new RekeyError("USAGE", `no host named ${unknown.map((h) => `'${h}'`).join(", ")}`, {
      hint: `Known hosts: ${[...known].sort().join(", ") || "none"}.`,
    });
  }
  return filter;
}
