/**
 * Plain-text and JSON renderings of a plan. Stable: golden tests pin them.
 */
import { Tally, type Action, type ActionKind, type Plan, type PlanSummary } from "./plan.js";

const SYMBOL: Record<ActionKind, string> = { generate: "*", regenerate: "*", create: "+", update: "~", remove: "-" };

/** Actions (text lines, or JSON objects) per piece handed to `write` by the streaming writers. */
const PIECE = 1000;

/**
 * Renders a plan as plain text, one line per action, then the summary line:
 *
 * ```
 *   * generate    wg-key                   source missing, generator wireguard
 *   + create      web1  db-password        output missing
 *   ~ update      web2  db-password        source changed
 *   - remove      old1  db-password        host no longer declared
 *
 * Plan: 1 to generate, 1 to create, 1 to update, 1 to remove.
 * ```
 */
export function renderPlanText(plan: Plan): string {
  if (plan.actions.length === 0) return `No changes: every output is up to date.\n${renderSummary(plan.summary)}\n`;
  const widths = actionWidths(plan.actions);
  return `${plan.actions.map((a) => actionLine(a, widths)).join("\n")}\n\n${renderSummary(plan.summary)}\n`;
}

/**
 * {@link renderPlanText}'s text, handed to `write` in pieces of a thousand lines: a fleet's
 * plan is 200,000 lines (~10 MB), which as one string, and an array of line strings before
 * it, was most of `rekey plan`'s memory. A `write` that returns a promise is awaited before
 * the next piece (see writeWithBackpressure).
 */
export async function writePlanText(plan: Plan, write: (text: string) => void | Promise<void>): Promise<void> {
  if (plan.actions.length === 0) {
    await write(renderPlanText(plan));
    return;
  }
  const widths = actionWidths(plan.actions);
  for (let at = 0; at < plan.actions.length; at += PIECE) {
    await write(plan.actions.slice(at, at + PIECE).map((a) => actionLine(a, widths) + "\n").join(""));
  }
  await write(`\n${renderSummary(plan.summary)}\n`);
}

function actionLine(a: Action, { hostWidth, secretWidth }: { hostWidth: number; secretWidth: number }): string {
  const target = a.host === null ? a.secret.padEnd(hostWidth + 2 + secretWidth) : `${a.host.padEnd(hostWidth)}  ${a.secret.padEnd(secretWidth)}`;
  return `  ${SYMBOL[a.action]} ${a.action.padEnd(10)}  ${target}  ${a.reason}`.trimEnd();
}

/**
 * The longest host and secret names among the actions. A loop, not `Math.max(...widths)`: a
 * spread passes every element as an argument, and a fleet's plan (200,000 actions) overflows
 * the call stack.
 */
export function actionWidths(actions: readonly Action[]): { hostWidth: number; secretWidth: number } {
  let hostWidth = 0;
  let secretWidth = 0;
  for (const a of actions) {
    hostWidth = Math.max(hostWidth, a.host?.length ?? 0);
    secretWidth = Math.max(secretWidth, a.secret.length);
  }
  return { hostWidth, secretWidth };
}

/** `Plan: G to generate, C to create, U to update, R to remove.` */
export function renderSummary(s: PlanSummary): string {
  return `Plan: ${s.generate} to generate, ${s.create} to create, ${s.update} to update, ${s.remove} to remove.`;
}

const FORMAT_VERSION = 1;

/** The `--json` document of `rekey plan` (format_version 1). */
export interface PlanJson {
  readonly format_version: 1;
  readonly actions: readonly Action[];
  readonly summary: PlanSummary;
}

/**
 * The `--json` document of {@link planToJson} for these actions, with `head`'s fields first
 * (apply's `"type": "plan"`), as the same line JSON.stringify makes, handed to `write` in
 * pieces of a thousand actions as they come: W2's plan of 200,000 actions is a 20 MiB line,
 * and as one string (and the objects behind it) it was the peak of an apply's memory. A
 * `write` that returns a promise is awaited before the next piece (see writeWithBackpressure).
 * Returns the summary the document ends with.
 */
export async function writePlanJson(actions: Iterable<Action>, write: (text: string) => void | Promise<void>, head: Readonly<Record<string, unknown>> = {}): Promise<PlanSummary> {
  const open = JSON.stringify({ ...head, format_version: FORMAT_VERSION });
  await write(`${open.slice(0, -1)},"actions":[`);
  const tally = new Tally();
  let piece: string[] = [];
  let first = true;
  const flush = async (): Promise<void> => {
    await write((first ? "" : ",") + piece.join(","));
    first = false;
    piece = [];
  };
  for (const a of actions) {
    tally.add(a);
    piece.push(JSON.stringify(actionJson(a)));
    if (piece.length === PIECE) await flush();
  }
  if (piece.length > 0) await flush();
  const summary = tally.summary();
  await write(`],"summary":${JSON.stringify(summary)}}\n`);
  return summary;
}

/** Renders the `--json` document of `rekey plan`. */
export function planToJson(plan: Plan): PlanJson {
  return { format_version: FORMAT_VERSION, actions: plan.actions.map(actionJson), summary: plan.summary };
}

/** An action as the `--json` plan spells it: these fields, in this order. */
function actionJson(a: Action): Action {
  return { action: a.action, host: a.host, secret: a.secret, reason: a.reason };
}
