import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isRekeyError } from "../../src/core/errors.js";
import { dependentsOf, orderByDependencies } from "../../src/core/graph.js";

const name = (i: number): string => `s${String(i).padStart(5, "0")}`;

/** A random acyclic graph: node i may depend only on nodes of a higher index, plus names outside it. */
const aDag = fc.integer({ min: 1, max: 40 }).chain((n) =>
  fc.array(fc.uniqueArray(fc.integer({ min: 0, max: n + 3 }), { maxLength: 5 }), { minLength: n, maxLength: n }).map((deps) => {
    const nodes = new Map<string, string[]>();
    deps.forEach((ds, i) => nodes.set(name(i), ds.filter((d) => d > i).map(name)));
    return nodes;
  }),
);

describe("orderByDependencies", () => {
  it("puts every node after its dependencies, once each, whatever the input order", () => {
    fc.assert(
      fc.property(aDag, fc.integer(), (nodes, seed) => {
        const order = orderByDependencies(nodes);
        expect([...order].sort()).toEqual([...nodes.keys()].sort());
        const at = new Map(order.map((n, i) => [n, i]));
        for (const [node, deps] of nodes) for (const d of deps) if (nodes.has(d)) expect(at.get(d)!).toBeLessThan(at.get(node)!);
        const shuffled = new Map([...nodes].sort(() => (seed = (seed * 1103515245 + 12345) | 0) & 1 ? 1 : -1).map(([k, v]) => [k, [...v].reverse()]));
        expect(orderByDependencies(shuffled)).toEqual(order);
      }),
      { numRuns: 300 },
    );
  });

  it("orders a chain of 20,000 dependent secrets (a recursive walk overflowed the stack at 5,000)", () => {
    const nodes = new Map<string, string[]>();
    for (let i = 0; i < 20_000; i++) nodes.set(name(i), i + 1 < 20_000 ? [name(i + 1)] : []);
    const order = orderByDependencies(nodes);
    expect(order).toHaveLength(20_000);
    expect(order[0]).toBe(name(19_999));
    expect(order.at(-1)).toBe(name(0));
  });

  it("names a cycle, where its secrets are declared, and the fix", () => {
    const nodes = new Map([["a", ["b"]], ["b", ["c"]], ["c", ["a"]], ["d", []]]);
    const where = (n: string) => ({ file: `hosts/${n}.yaml`, line: 3, col: 5 });
    let error: unknown;
    try {
      orderByDependencies(nodes, where);
    } catch (e) {
      error = e;
    }
    expect(isRekeyError(error) && error.code).toBe("GENERATOR_CYCLE");
    expect((error as Error).message).toBe(
      "hosts/a.yaml:3:5: dependency cycle between secrets: a -> b -> c -> a (declared at hosts/a.yaml:3:5: 'a', hosts/b.yaml:3:5: 'b', hosts/c.yaml:3:5: 'c')",
    );
  });

  it("finds a cycle reached from an acyclic part", () => {
    const nodes = new Map([["a", ["b"]], ["b", ["c"]], ["c", ["d"]], ["d", ["c"]]]);
    expect(() => orderByDependencies(nodes)).toThrow("dependency cycle between secrets: c -> d -> c");
  });
});

describe("dependentsOf", () => {
  it("finds every node that reaches a root through its dependencies, and nothing else", () => {
    fc.assert(
      fc.property(aDag, fc.array(fc.nat(), { maxLength: 3 }), (nodes, picks) => {
        const names = [...nodes.keys()];
        const roots = picks.map((p) => names[p % names.length]!);
        const reaches = (node: string, seen = new Set<string>()): boolean =>
          (nodes.get(node) ?? []).some((d) => roots.includes(d) || (!seen.has(d) && (seen.add(d), reaches(d, seen))));
        const expected = new Set(names.filter((n) => !roots.includes(n) && reaches(n)));
        expect(dependentsOf(nodes, roots)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
});
