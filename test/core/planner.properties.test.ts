import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { summarize } from "../../src/core/plan.js";
import { planRekey } from "../../src/core/planner.js";
import { aFilter, shuffleState, simulateApply, validState } from "./arbitraries.js";

const runs = { numRuns: 500 };

describe("planRekey properties", () => {
  it("never throws on a valid state, with or without a filter", () => {
    fc.assert(
      fc.property(validState, aFilter, (state, filter) => {
        planRekey(state);
        planRekey(state, filter);
      }),
      runs,
    );
  });

  it("gives the same plan whatever the order of hosts, secrets, dependencies and map entries", () => {
    fc.assert(
      fc.property(validState, aFilter, fc.integer(), (state, filter, seed) => {
        const shuffled = shuffleState(state, seed);
        expect(planRekey(shuffled)).toEqual(planRekey(state));
        expect(planRekey(shuffled, filter)).toEqual(planRekey(state, filter));
      }),
      runs,
    );
  });

  it("converges: after applying a plan, the same plan is empty", () => {
    fc.assert(
      fc.property(validState, (state) => {
        const after = simulateApply(state, planRekey(state));
        expect(planRekey(after).actions).toEqual([]);
      }),
      runs,
    );
  });

  it("converges under a filter: plan, apply, then the filtered plan is empty", () => {
    fc.assert(
      fc.property(validState, aFilter, (state, filter) => {
        const after = simulateApply(state, planRekey(state, filter));
        expect(planRekey(after, filter).actions).toEqual([]);
      }),
      runs,
    );
  });

  it("has a summary that counts its actions, and one action per (host, secret) at most", () => {
    fc.assert(
      fc.property(validState, aFilter, (state, filter) => {
        const plan = planRekey(state, filter);
        expect(plan.summary).toEqual(summarize(plan.actions));
        const count = (...kinds: string[]) => plan.actions.filter((a) => kinds.includes(a.action)).length;
        expect(plan.summary).toEqual({ generate: count("generate", "regenerate"), create: count("create"), update: count("update"), remove: count("remove") });
        const keys = plan.actions.map((a) => `${a.host ?? "-"}\u0000${a.secret}`);
        expect(new Set(keys).size).toBe(keys.length);
      }),
      runs,
    );
  });

  it("orders actions generate/regenerate, then create/update, then remove", () => {
    const rank = { generate: 0, regenerate: 0, create: 1, update: 1, remove: 2 } as const;
    fc.assert(
      fc.property(validState, (state) => {
        const ranks = planRekey(state).actions.map((a) => rank[a.action]);
        expect(ranks).toEqual([...ranks].sort((x, y) => x - y));
      }),
      runs,
    );
  });

  it("generates every dependency before the secrets that depend on it", () => {
    fc.assert(
      fc.property(validState, (state) => {
        const order = planRekey(state).actions.filter((a) => a.host === null).map((a) => a.secret);
        const decls = new Map(state.hosts.flatMap((h) => h.secrets).map((s) => [s.name, s]));
        order.forEach((secret, i) => {
          for (const dep of decls.get(secret)?.dependencies ?? []) if (order.includes(dep)) expect(order.indexOf(dep)).toBeLessThan(i);
        });
      }),
      runs,
    );
  });
});
