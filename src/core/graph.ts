/**
 * Dependency order for generated secrets.
 */
import { RekeyError } from "./errors.js";

/**
 * Orders `nodes` so that every node comes after its dependencies, ties broken by name, so
 * the order never depends on input order. Dependencies outside `nodes` are ignored.
 *
 * @throws RekeyError GENERATOR_CYCLE naming the cycle, e.g. `a -> b -> a`.
 */
export function orderByDependencies(nodes: ReadonlyMap<string, readonly string[]>, where?: (node: string) => { file: string; line: number; col: number } | undefined): string[] {
  const order: string[] = [];
  const state = new Map<string, "visiting" | "done">();
  // Depth-first with an explicit stack, not recursion: a chain of a few thousand dependent
  // secrets would overflow the call stack. `path` is the chain being visited, for cycles.
  const path: { readonly node: string; readonly deps: readonly string[]; next: number }[] = [];

  const cycleError = (node: string): RekeyError => {
    const names = path.map((p) => p.node);
    const cycle = [...names.slice(names.indexOf(node)), node];
    const at = where?.(node);
    const places = cycle.slice(0, -1).flatMap((n) => {
      const p = where?.(n);
      return p === undefined ? [] : [`${p.file}:${p.line}:${p.col}: '${n}'`];
    });
    const prefix = at === undefined ? "" : `${at.file}:${at.line}:${at.col}: `;
    const detail = places.length > 0 ? ` (declared at ${places.join(", ")})` : "";
    return new RekeyError("GENERATOR_CYCLE", `${prefix}dependency cycle between secrets: ${cycle.join(" -> ")}${detail}`, {
      ...(at === undefined ? {} : { file: at.file }),
      hint: "Remove one of these `dependencies:` entries from the host manifests.",
    });
  };

  const enter = (node: string): void => {
    state.set(node, "visiting");
    path.push({ node, deps: [...(nodes.get(node) ?? [])].filter((d) => nodes.has(d)).sort(), next: 0 });
  };

  for (const root of [...nodes.keys()].sort()) {
    if (state.has(root)) continue;
    enter(root);
    while (path.length > 0) {
      const top = path.at(-1)!;
      if (top.next < top.deps.length) {
        const dep = top.deps[top.next++]!;
        const seen = state.get(dep);
        if (seen === "visiting") throw cycleError(dep);
        if (seen === undefined) enter(dep);
        continue;
      }
      path.pop();
      state.set(top.node, "done");
      order.push(top.node);
    }
  }
  return order;
}

/** Every node that depends on `roots`, directly or not, excluding the roots themselves. */
export function dependentsOf(nodes: ReadonlyMap<string, readonly string[]>, roots: Iterable<string>): Set<string> {
  // The reverse edges first, so that the walk is linear in the graph, not nodes × dependents.
  const dependents = new Map<string, string[]>();
  for (const [node, deps] of nodes) {
    for (const dep of deps) {
      const list = dependents.get(dep);
      if (list === undefined) dependents.set(dep, [node]);
      else list.push(node);
    }
  }
  const found = new Set<string>();
  const frontier = [...roots];
  const rootSet = new Set(frontier);
  while (frontier.length > 0) {
    for (const node of dependents.get(frontier.pop()!) ?? []) {
      if (!found.has(node) && !rootSet.has(node)) {
        found.add(node);
        frontier.push(node);
      }
    }
  }
  return found;
}
