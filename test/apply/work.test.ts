/**
 * `workOf` turns a plan into apply's work: generation and removals as they are, and the
 * rekeys grouped by host (hosts in code-point order, each host's outputs in plan order) in
 * flat arrays, made back into objects a chunk of hosts at a time.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isEmptyWork, WorkGatherer, workOf } from "../../src/apply/apply.js";
import type { Action } from "../../src/core/plan.js";
import { summarize } from "../../src/core/plan.js";
import { compare } from "../../src/core/planner.js";

const anAction = fc.record({
  action: fc.constantFrom("generate", "regenerate", "create", "update", "remove"),
  host: fc.constantFrom("web-1", "web-10", "web-2", "Db", "ä"),
  secret: fc.constantFrom("a", "b/c", "d"),
  reason: fc.constant("r"),
}).map((a): Action => (a.action === "generate" || a.action === "regenerate" ? { ...a, host: null } : a));

describe("workOf", () => {
  it("keeps every rekey once, grouped by host in code-point order, each host's in plan order", () => {
    fc.assert(
      fc.property(fc.array(anAction, { maxLength: 60 }), (actions) => {
        const work = workOf({ actions, summary: summarize(actions) });
        const rekeys = actions.filter((a) => a.action === "create" || a.action === "update");
        const hosts = [...new Set(rekeys.map((a) => a.host!))].sort(compare);
        const expected = hosts.flatMap((h) => rekeys.filter((a) => a.host === h).map((a) => ({ action: a.action, host: h, secret: a.secret })));
        expect(work.rekeys.chunk(0, work.rekeys.hostCount)).toEqual(expected);
        expect(work.rekeys.length).toBe(rekeys.length);
        expect(work.rekeys.hostCount).toBe(hosts.length);
        expect(work.rekeys.creates).toBe(rekeys.filter((a) => a.action === "create").length);
        expect(work.generation).toEqual(actions.filter((a) => a.host === null));
        expect(work.removals).toEqual(actions.filter((a) => a.action === "remove"));
        expect([...work.rekeys.secretNames()].sort()).toEqual([...new Set(rekeys.map((a) => a.secret))].sort());
        // Any cut into runs of whole hosts gives back the same outputs.
        const cut = Math.floor(hosts.length / 2);
        expect([...work.rekeys.chunk(0, cut), ...work.rekeys.chunk(cut, hosts.length)]).toEqual(expected);
        expect(work.rekeys.startOf(cut)).toBe(expected.findIndex((r) => r.host === hosts[cut]) === -1 ? expected.length : expected.findIndex((r) => r.host === hosts[cut]));
      }),
    );
  });

  it("is what a WorkGatherer gathers from the actions as they pass through it", () => {
    fc.assert(
      fc.property(fc.array(anAction, { maxLength: 60 }), (actions) => {
        const gatherer = new WorkGatherer();
        expect([...gatherer.tap(actions)]).toEqual(actions);
        const gathered = gatherer.finish();
        const work = workOf({ actions, summary: summarize(actions) });
        expect(gathered.summary).toEqual(summarize(actions));
        expect(gathered.generation).toEqual(work.generation);
        expect(gathered.removals).toEqual(work.removals);
        expect(gathered.rekeys.chunk(0, gathered.rekeys.hostCount)).toEqual(work.rekeys.chunk(0, work.rekeys.hostCount));
        expect(isEmptyWork(gathered)).toBe(actions.length === 0);
      }),
    );
  });
});
