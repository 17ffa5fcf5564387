/**
 * The coloured plan for a terminal: actions grouped by kind, each group with its count.
 * Only loaded when stdout is a TTY and colour is allowed.
 */
import type { ActionKind, Plan } from "../core/plan.js";
import { renderSummary } from "../core/plan-format.js";

const STYLE: Record<ActionKind, { symbol: string; color: number; title: string }> = {
  generate: { symbol: "*", color: 35, title: "Generate" },
  regenerate: { symbol: "*", color: 35, title: "Regenerate" },
  create: { symbol: "+", color: 32, title: "Create" },
  update: { symbol: "~", color: 33, title: "Update" },
  remove: { symbol: "-", color: 31, title: "Remove" },
};
const ORDER: readonly ActionKind[] = ["generate", "regenerate", "create", "update", "remove"];

const paint = (code: number, text: string) => `\u001b[${code}m${text}\u001b[0m`;

/**
 * Renders the plan grouped by kind, for example:
 *
 * ```
 * Create (2)
 *   + web1  db-password   output missing
 *   + web2  db-password   output missing
 *
 * Plan: 0 to generate, 2 to create, 0 to update, 0 to remove.
 * ```
 * (with the symbols and titles in colour).
 */
export function renderPlanTty(plan: Plan, columns: number): string {
  if (plan.actions.length === 0) return `${paint(32, "No changes:")} every output is up to date.\n${renderSummary(plan.summary)}\n`;
  const hostWidth = Math.max(0, ...plan.actions.map((a) => (a.host ?? "").length));
  const secretWidth = Math.max(...plan.actions.map((a) => a.secret.length));
  const out: string[] = [];
  for (const kind of ORDER) {
    const group = plan.actions.filter((a) => a.action === kind);
    if (group.length === 0) continue;
    const style = STYLE[kind];
    out.push(paint(1, `${style.title} (${group.length})`));
    for (const a of group) {
      const target = a.host === null ? a.secret.padEnd(hostWidth + 2 + secretWidth) : `${a.host.padEnd(hostWidth)}  ${a.secret.padEnd(secretWidth)}`;
      const line = `  ${paint(style.color, style.symbol)} ${target}  `;
      const room = Math.max(10, columns - (4 + hostWidth + 2 + secretWidth + 2));
      out.push(line + paint(2, a.reason.length > room ? `${a.reason.slice(0, room - 1)}…` : a.reason));
    }
    out.push("");
  }
  out.push(paint(1, renderSummary(plan.summary)));
  return out.join("\n") + "\n";
}
