/**
 * `writePlanJson` streams the `--json` plan in pieces; joined, the pieces must be exactly the
 * line JSON.stringify makes of the whole document, whatever the number of actions (around
 * the piece size of 1,000 included) and whatever the names and reasons hold.
 */
import { Writable } from "node:stream";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Action, ActionKind } from "../../src/core/plan.js";
import { summarize } from "../../src/core/plan.js";
import { planToJson, renderPlanText, writePlanJson, writePlanText } from "../../src/core/plan-format.js";
import { writeWithBackpressure } from "../../src/cli/command.js";

const KINDS: readonly ActionKind[] = ["generate", "regenerate", "create", "update", "remove"];
const anAction = fc.record({
  action: fc.constantFrom(...KINDS),
  host: fc.option(fc.string({ unit: "binary" }), { nil: null }),
  secret: fc.string({ unit: "binary" }),
  reason: fc.string({ unit: "binary" }),
});

async function streamed(actions: readonly Action[], head?: Record<string, unknown>): Promise<{ text: string; pieces: number }> {
  const plan = { actions, summary: summarize(actions) };
  const pieces: string[] = [];
  expect(await writePlanJson(actions, (t) => void pieces.push(t), head)).toEqual(plan.summary);
  return { text: pieces.join(""), pieces: pieces.length };
}

describe("writePlanJson", () => {
  it("writes what JSON.stringify writes, for any actions", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(anAction, { maxLength: 30 }), fc.boolean(), async (actions, withHead) => {
        const plan = { actions, summary: summarize(actions) };
        const head = withHead ? { type: "plan" } : undefined;
        expect((await streamed(actions, head)).text).toBe(JSON.stringify({ ...head, ...planToJson(plan) }) + "\n");
      }),
    );
  });

  it("writes a large plan in pieces of a thousand actions, and the same line", async () => {
    for (const n of [0, 1, 999, 1000, 1001, 2500]) {
      const actions: Action[] = Array.from({ length: n }, (_, i) => ({ action: "create", host: `h${i % 7}`, secret: `s"${i}\u00e9`, reason: "output missing" }));
      const plan = { actions, summary: summarize(actions) };
      const { text, pieces } = await streamed(actions, { type: "plan" });
      expect(text).toBe(JSON.stringify({ type: "plan", ...planToJson(plan) }) + "\n");
      expect(pieces).toBe(2 + Math.ceil(n / 1000));
      expect(JSON.parse(text).actions).toHaveLength(n);
    }
  });

  it("waits for a slow reader: no more than one piece beyond the limit is ever queued", async () => {
    const actions: Action[] = Array.from({ length: 5500 }, (_, i) => ({ action: "create", host: `host-${i % 50}`, secret: `s${i}`, reason: "output missing" }));
    const plan = { actions, summary: summarize(actions) };
    const received: string[] = [];
    let mostQueued = 0;
    // A reader that takes one write per turn of the event loop, like a pipe to a busy process.
    const out = new Writable({
      highWaterMark: 4096,
      decodeStrings: false,
      write(chunk: string, _encoding, callback) {
        received.push(chunk);
        setImmediate(callback);
      },
    });
    const write = writeWithBackpressure(out, 4096);
    let largestPiece = 0;
    await writePlanJson(plan.actions, (text) => {
      largestPiece = Math.max(largestPiece, text.length);
      const waiting = write(text);
      mostQueued = Math.max(mostQueued, out.writableLength);
      return waiting;
    });
    expect(received.join("")).toBe(JSON.stringify(planToJson(plan)) + "\n");
    expect(mostQueued).toBeLessThanOrEqual(4096 + largestPiece);
    expect(mostQueued).toBeLessThan(JSON.stringify(planToJson(plan)).length / 3);
  });

  it("takes the actions as they come: each piece is written before the next thousand are made", async () => {
    let made = 0;
    function* planned(): Generator<Action> {
      for (let i = 0; i < 3500; i++) {
        made++;
        yield { action: i % 2 === 0 ? "create" : "update", host: `h${i % 3}`, secret: `s${i}`, reason: "r" };
      }
    }
    const madeAtWrite: number[] = [];
    const summary = await writePlanJson(planned(), () => void madeAtWrite.push(made));
    // The head, three pieces of a thousand, the last 500, then the summary.
    expect(madeAtWrite).toEqual([0, 1000, 2000, 3000, 3500, 3500]);
    expect(summary).toEqual({ generate: 0, create: 1750, update: 1750, remove: 0 });
  });

  it("does not wait on a reader that went away", async () => {
    const actions: Action[] = Array.from({ length: 3000 }, (_, i) => ({ action: "create", host: "h", secret: `s${i}`, reason: "output missing" }));
    const out = new Writable({
      highWaterMark: 16,
      write(_chunk, _encoding, callback) {
        out.destroy(); // the reader is gone after the first piece; 'drain' never comes
        callback();
      },
    });
    out.on("error", () => undefined);
    await writePlanJson(actions, writeWithBackpressure(out)); // resolves
    expect(out.destroyed).toBe(true);
  });
});

describe("writePlanText", () => {
  it("writes what renderPlanText renders, in pieces of a thousand lines", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(anAction, { maxLength: 30 }), async (actions) => {
        const plan = { actions, summary: summarize(actions) };
        const pieces: string[] = [];
        await writePlanText(plan, (t) => void pieces.push(t));
        expect(pieces.join("")).toBe(renderPlanText(plan));
      }),
    );
    for (const n of [0, 1, 999, 1000, 1001, 2500]) {
      const actions: Action[] = Array.from({ length: n }, (_, i) => ({ action: i % 3 === 0 ? "generate" : "create", host: i % 3 === 0 ? null : `host-${i % 7}`, secret: `s${i}`, reason: "output missing" }));
      const plan = { actions, summary: summarize(actions) };
      const pieces: string[] = [];
      await writePlanText(plan, (t) => void pieces.push(t));
      expect(pieces.join("")).toBe(renderPlanText(plan));
      expect(pieces).toHaveLength(n === 0 ? 1 : Math.ceil(n / 1000) + 1);
    }
  });
});
