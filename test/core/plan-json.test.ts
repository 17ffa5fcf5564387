/**
 * `writePlanJson` streams the `--json` plan in pieces; joined, the pieces must be exactly the
 * line JSON.stringify makes of the whole document, whatever the number of actions (around
 * the piece size of 1,000 included) and whatever the names and reasons hold.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Action, ActionKind } from "../../src/core/plan.js";
import { summarize } from "../../src/core/plan.js";
import { planToJson, writePlanJson } from "../../src/core/plan-format.js";

const KINDS: readonly ActionKind[] = ["generate", "regenerate", "create", "update", "remove"];
const anAction = fc.record({
  action: fc.constantFrom(...KINDS),
  host: fc.option(fc.string({ unit: "binary" }), { nil: null }),
  secret: fc.string({ unit: "binary" }),
  reason: fc.string({ unit: "binary" }),
});

function streamed(actions: readonly Action[], head?: Record<string, unknown>): { text: string; pieces: number } {
  const plan = { actions, summary: summarize(actions) };
  const pieces: string[] = [];
  writePlanJson(plan, (t) => pieces.push(t), head);
  return { text: pieces.join(""), pieces: pieces.length };
}

describe("writePlanJson", () => {
  it("writes what JSON.stringify writes, for any actions", () => {
    fc.assert(
      fc.property(fc.array(anAction, { maxLength: 30 }), fc.boolean(), (actions, withHead) => {
        const plan = { actions, summary: summarize(actions) };
        const head = withHead ? { type: "plan" } : undefined;
        expect(streamed(actions, head).text).toBe(JSON.stringify({ ...head, ...planToJson(plan) }) + "\n");
      }),
    );
  });

  it("writes a large plan in pieces of a thousand actions, and the same line", () => {
    for (const n of [0, 1, 999, 1000, 1001, 2500]) {
      const actions: Action[] = Array.from({ length: n }, (_, i) => ({ action: "create", host: `h${i % 7}`, secret: `s"${i}\u00e9`, reason: "output missing" }));
      const plan = { actions, summary: summarize(actions) };
      const { text, pieces } = streamed(actions, { type: "plan" });
      expect(text).toBe(JSON.stringify({ type: "plan", ...planToJson(plan) }) + "\n");
      expect(pieces).toBe(2 + Math.ceil(n / 1000));
      expect(JSON.parse(text).actions).toHaveLength(n);
    }
  });
});
