/**
 * The coloured plan for a terminal: actions grouped by kind, each group with its count.
 * Only loaded when stdout is a TTY and colour is allowed.
 *
 * A string renderer on purpose: importing Ink and React costs 0.6-0.9 s of start-up on the
 * development machine, against well under 1 ms for this module, and `rekey plan` is run often.
 */
import type { Action, ActionKind, Plan } from "../core/plan.js";
import { actionWidths, renderSummary } from "../core/plan-format.js";
import { fitText, paint, SGR } from "./ansi.js";

const STYLE: Record<ActionKind, { symbol: string; color: number; title: string }> = {
  generate: { symbol: "*", color: SGR.magenta, title: "Generate" },
  regenerate: { symbol: "*", color: SGR.magenta, title: "Regenerate" },
  create: { symbol: "+", color: SGR.green, title: "Create" },
  update: { symbol: "~", color: SGR.yellow, title: "Update" },
  remove: { symbol: "-", color: SGR.red, title: "Remove" },
};
const ORDER: readonly ActionKind[] = ["generate", "regenerate", "create", "update", "remove"];
/** Columns kept for the reason before host and secret columns are narrowed (a third on narrow terminals). */
const MIN_REASON = 24;

/**
 * Renders the plan grouped by kind; no line is wider than `columns` (reasons, then long
 * names, end in `…`). For example, at 80 columns:
 *
 * ```
 * Generate (1)
 *   *       wg-key       source missing, generator wireguard
 *
 * Create (2)
 *   + web1  db-password  output missing
 *   + web2  db-password  output missing
 *
 * Remove (1)
 *   - old1  db-password  host no longer declared
 *
 * Plan: 1 to generate, 2 to create, 0 to update, 1 to remove.
 * ```
 * The titles are bold and coloured, the symbols coloured, the reasons dim.
 */
export function renderPlanTty(plan: Plan, columns: number): string {
  if (plan.actions.length === 0) return `${paint(SGR.green, "No changes:")} every output is up to date.\n${renderSummary(plan.summary)}\n`;
  const { hostWidth, secretWidth } = columnWidths(plan.actions, columns);
  const out: string[] = [];
  for (const kind of ORDER) {
    const group = plan.actions.filter((a) => a.action === kind);
    if (group.length === 0) continue;
    const style = STYLE[kind];
    out.push(paint(SGR.bold, paint(style.color, fitText(`${style.title} (${group.length})`, columns))));
    for (const a of group) {
      const host = fitText(a.host ?? "", hostWidth).padEnd(hostWidth);
      const secret = fitText(a.secret, secretWidth).padEnd(secretWidth);
      const reason = fitText(a.reason, Math.max(1, columns - (4 + hostWidth + 2 + secretWidth + 2)));
      out.push(`  ${paint(style.color, style.symbol)} ${host}  ${secret}  ${paint(SGR.dim, reason)}`);
    }
    out.push("");
  }
  out.push(paint(SGR.bold, renderSummary(plan.summary)));
  return out.join("\n") + "\n";
}

/** Widths of the host and secret columns; narrowed (longest first) so a reason keeps some room. */
function columnWidths(actions: readonly Action[], columns: number): { hostWidth: number; secretWidth: number } {
  let { hostWidth, secretWidth } = actionWidths(actions);
  const budget = Math.max(2, columns - 4 - 2 - 2 - Math.min(MIN_REASON, Math.floor(columns / 3)));
  while (hostWidth + secretWidth > budget) {
    if (hostWidth >= secretWidth) hostWidth--;
    else secretWidth--;
  }
  return { hostWidth, secretWidth };
}
