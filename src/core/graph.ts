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
  const stack: string[] = [];

  const visit = (node: string): void => {
    const seen = state.get(node);
    if (seen === "done") return;
    if (seen === "visiting") {
      const cycle = [...stack.slice(stack.indexOf(node)), node];
      const at = where?.(node);
      const places = cycle.slice(0, -1).flatMap((n) => {
        const p = where?.(n);
        return p === undefined ? [] : [`${p.file}:${p.line}:${p.col}: '${n}'`];
      });
      const prefix = at === undefined ? "" : `${at.file}:${at.line}:${at.col}: `;
      const detail = places.length > 0 ? ` (declared at ${places.join(", ")})` : "";
      throw new RekeyError("GENERATOR_CYCLE", `${prefix}dependency cycle between secrets: ${cycle.join(" -> ")}${detail}`, {
        ...(at === undefined ? {} : { file: at.file }),
        hint: "Remove one of these `dependencies:` entries from the host manifests.",
      });
    }
    state.set(node, "visiting");
    stack.push(node);
    for (const dep of [...(nodes.get(node) ?? [])].sort()) {
      if (nodes.has(dep)) visit(dep);
    }
    stack.pop();
    state.set(node, "done");
    order.push(node);
  };

  for (const node of [...nodes.keys()].sort()) visit(node);
  return order;
}

/** Every node that depends on `roots`, directly or not, excluding the roots themselves. */
export function dependentsOf(nodes: ReadonlyMap<string, readonly string[]>, roots: Iterable<string>): Set<string> {
  const found = new Set<string>();
  const frontier = [...roots];
  const rootSet = new Set(frontier);
  while (frontier.length > 0) {
    const current = frontier.pop()!;
    for (const [node, deps] of nodes) {
      if (deps.includes(current) && !found.has(node) && !rootSet.has(node)) {
        found.add(node);
        frontier.push(node);
      }
    }
  }
  return found;
}
