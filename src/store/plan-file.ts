/**
 * Saved plans (`rekey plan --out FILE`, `rekey apply FILE`). A plan file holds names,
 * reasons and digests, never plaintext. It records the fingerprint of the repository state
 * it was made from, so apply refuses it once anything it depends on has changed.
 */
import { RekeyError } from "../core/errors.js";
import type { Action, Plan } from "../core/plan.js";
import { summarize } from "../core/plan.js";
import type { PlanFilter } from "../core/planner.js";

/** The saved plan document. */
export interface PlanFile {
  readonly format_version: 1;
  readonly kind: "rekey-plan";
  /** SHA-256 of the repository state the plan was computed from. */
  readonly state: string;
  readonly filter: { readonly hosts: readonly string[]; readonly secrets: readonly string[] };
  readonly actions: readonly Action[];
}

/** Serializes a plan for `--out`. */
export function renderPlanFile(plan: Plan, state: string, filter: PlanFilter): string {
  const doc: PlanFile = {
    format_version: 1,
    kind: "rekey-plan",
    state,
    filter: { hosts: [...(filter.hosts ?? [])], secrets: [...(filter.secrets ?? [])] },
    actions: plan.actions,
  };
  return JSON.stringify(doc, null, 2) + "\n";
}

const KINDS = new Set(["generate", "regenerate", "create", "update", "remove"]);

/** Parses a plan file; throws BAD_PLAN_FILE naming `file` when it is not one. */
export function parsePlanFile(file: string, text: string): PlanFile & { plan: Plan } {
  const bad = (why: string) => new RekeyError("BAD_PLAN_FILE", `${file} is not a rekey plan file: ${why}`, { file, hint: "Make one with `rekey plan --out FILE`." });
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw bad("it is not JSON");
  }
  if (typeof doc !== "object" || doc === null) throw bad("it is not a JSON object");
  const d = doc as Record<string, unknown>;
  if (d.kind !== "rekey-plan" || d.format_version !== 1) throw bad("unknown kind or format_version");
  if (typeof d.state !== "string" || !/^[0-9a-f]{64}$/.test(d.state)) throw bad("missing state digest");
  const filter = d.filter as Record<string, unknown> | undefined;
  const strings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === "string");
  if (typeof filter !== "object" || filter === null || !strings(filter.hosts) || !strings(filter.secrets)) throw bad("bad filter");
  if (!Array.isArray(d.actions)) throw bad("missing actions");
  const actions = d.actions.map((a: unknown, i: number): Action => {
    const x = a as Record<string, unknown>;
    if (typeof x !== "object" || x === null || !KINDS.has(String(x.action)) || typeof x.secret !== "string" || typeof x.reason !== "string" || !(x.host === null || typeof x.host === "string")) {
      throw bad(`action ${i} is malformed`);
    }
    return { action: x.action as Action["action"], host: x.host, secret: x.secret, reason: x.reason };
  });
  const parsed = { format_version: 1 as const, kind: "rekey-plan" as const, state: d.state, filter: { hosts: filter.hosts, secrets: filter.secrets }, actions };
  return { ...parsed, plan: { actions, summary: summarize(actions) } };
}
