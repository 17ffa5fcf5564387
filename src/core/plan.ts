/**
 * The plan: plain data produced by the planner and consumed by the applier.
 */

/** The kinds of action, in the order apply performs them. */
export type ActionKind = "generate" | "regenerate" | "create" | "update" | "remove";

/** One action with its reason. `host` is null for generate and regenerate. */
export interface Action {
  readonly action: ActionKind;
  readonly host: string | null;
  readonly secret: string;
  readonly reason: string;
}

/** Counts for the summary line. `generate` counts regenerations too. */
export interface PlanSummary {
  readonly generate: number;
  readonly create: number;
  readonly update: number;
  readonly remove: number;
}

/** A plan: the actions in execution order. */
export interface Plan {
  readonly actions: readonly Action[];
  readonly summary: PlanSummary;
}

/** Reasons, worded once so that plans, golden files and docs agree. */
export const Reason = {
  outputMissing: "output missing",
  sourceChanged: "source changed",
  hostKeyChanged: "host key changed",
  tampered: "output changed outside rekey (or by an interrupted apply)",
  unrecorded: "output has no provenance record",
  willGenerate: "source will be generated",
  willRegenerate: "source will be regenerated",
  hostRemoved: "host no longer declared",
  secretRemoved: "secret no longer declared for this host",
  generate: (generator: string) => `source missing, generator ${generator}`,
  regenerate: (dependency: string, how: "changed" | "will change") => `dependency ${dependency} ${how}`,
} as const;

/** Summarizes a list of actions. */
export function summarize(actions: Iterable<Action>): PlanSummary {
  const tally = new Tally();
  for (const a of actions) tally.add(a);
  return tally.summary();
}

/** Counts actions for the summary line as they come. */
export class Tally {
  #generate = 0;
  #create = 0;
  #update = 0;
  #remove = 0;

  add(a: Action): void {
    if (a.action === "generate" || a.action === "regenerate") this.#generate++;
    else if (a.action === "create") this.#create++;
    else if (a.action === "update") this.#update++;
    else this.#remove++;
  }

  summary(): PlanSummary {
    return { generate: this.#generate, create: this.#create, update: this.#update, remove: this.#remove };
  }
}

/** True when there is nothing to do. */
export function isEmptyPlan(plan: Plan): boolean {
  return plan.actions.length === 0;
}
