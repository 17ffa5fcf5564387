/**
 * Which generate actions `rekey generate` runs: the plan's, narrowed to the named secrets and
 * tags (with their missing dependencies), or with --force the named secrets and everything
 * that depends on them.
 */
import { RekeyError, UsageError } from "../core/errors.js";
import { dependentsOf, orderByDependencies } from "../core/graph.js";
import type { RepoState, SecretDecl } from "../core/model.js";
import { matchesName } from "../core/names.js";
import type { Action } from "../core/plan.js";
import { declaredSecrets, generatorGraph, planRekey } from "../core/planner.js";

/** What the user asked for. */
export interface GenerateRequest {
  readonly secrets: readonly string[];
  readonly tags: readonly string[];
  readonly force: boolean;
}

/** The generate/regenerate actions to run, in dependency order. */
export function selectGeneration(state: RepoState, request: GenerateRequest): Action[] {
  const declared = declaredSecrets(state.hosts);
  const graph = generatorGraph(declared);
  const planned = planRekey(state).actions.filter((a) => a.action === "generate" || a.action === "regenerate");
  const narrowed = request.secrets.length > 0 || request.tags.length > 0;
  if (!narrowed) {
    if (request.force) throw new UsageError("--force needs the secrets (or --tag) to regenerate", "Example: rekey generate --force admin-password");
    return planned;
  }
  const selected = selectSecrets(declared, request);
  const byName = new Map(planned.map((a) => [a.secret, a]));
  const chosen = new Map<string, Action>();
  // Missing dependencies come along: a secret cannot be generated without them.
  const pullIn = (name: string): void => {
    for (const dep of declared.get(name)?.dependencies ?? []) {
      const action = byName.get(dep);
      if (action?.action === "generate" && !chosen.has(dep)) {
        chosen.set(dep, action);
        pullIn(dep);
      }
    }
  };
  for (const name of selected) {
    const action = request.force ? { action: "regenerate" as const, host: null, secret: name, reason: "forced (--force)" } : byName.get(name);
    if (action === undefined) continue;
    chosen.set(name, request.force && !state.sources.has(name) ? { ...action, action: "generate" } : action);
    pullIn(name);
  }
  if (request.force) {
    for (const dependent of dependentsOf(graph, selected)) {
      if (!chosen.has(dependent)) chosen.set(dependent, { action: "regenerate", host: null, secret: dependent, reason: "a dependency is regenerated (--force)" });
    }
  }
  return orderByDependencies(graph).filter((n) => chosen.has(n)).map((n) => chosen.get(n)!);
}

function selectSecrets(declared: ReadonlyMap<string, SecretDecl>, request: GenerateRequest): string[] {
  const selected = new Set<string>();
  for (const pattern of request.secrets) {
    const matches = [...declared.values()].filter((d) => matchesName(pattern, d.name));
    if (matches.length === 0) throw new RekeyError("UNKNOWN_GENERATOR", `no host declares a secret '${pattern}'`, { hint: "Check the name against hosts/*.yaml (`rekey plan` lists them)." });
    for (const d of matches) {
      if (d.generator === undefined) {
        if (request.secrets.includes(d.name)) throw new RekeyError("UNKNOWN_GENERATOR", `secret '${d.name}' has no generator`, { file: d.at.file, hint: `Declare one in ${d.at.file}, or change it with \`rekey edit ${d.name}\`.` });
        continue;
      }
      selected.add(d.name);
    }
  }
  for (const d of declared.values()) {
    if (d.generator !== undefined && d.tags.some((t) => request.tags.includes(t))) selected.add(d.name);
  }
  return [...selected].sort();
}
