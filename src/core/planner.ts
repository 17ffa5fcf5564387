/**
 * The planner: a pure function from the repository's state to a plan.
 *
 * It decrypts nothing and reads nothing: the store gathers digests and provenance records,
 * and this module decides. Its output order is deterministic whatever the input order:
 * generate and regenerate in dependency order, then create and update by host and secret,
 * then remove by host and secret.
 */
import { dependentsOf, orderByDependencies } from "./graph.js";
import { summarize, Reason, type Action, type Plan } from "./plan.js";
import type { HostOutputs, HostState, RepoState, SecretDecl } from "./model.js";
import { matchesName } from "./names.js";

/** Narrows a plan to some hosts and secrets (names or globs). Empty lists mean "all". */
export interface PlanFilter {
  readonly hosts?: readonly string[];
  readonly secrets?: readonly string[];
}

/** Computes the plan for `state`. Never throws on a state the loader accepted. */
export function planRekey(state: RepoState, filter: PlanFilter = {}): Plan {
  const actions = [...planActions(state, filter)];
  return { actions, summary: summarize(actions) };
}

/**
 * The actions of {@link planRekey}'s plan, in its order, one at a time: a caller that prints
 * and gathers them as they come (`apply --json`) holds no plan, which for a fleet is an
 * action object per output (200,000 for 2,000 hosts × 100 secrets, ~11 MiB). Only the
 * removals wait, as they come after every host's rekeys. `state` must not change meanwhile.
 */
export function* planActions(state: RepoState, filter: PlanFilter = {}): Generator<Action, void, undefined> {
  const declared = declaredSecrets(state.hosts);
  const { generation, changing } = planGeneration(state, declared);
  yield* keptGeneration(generation, generatorGraph(declared), filter, state.hosts);
  const keep = (a: Action): boolean => passesFilter(a, filter, state.hosts);
  const removals: Action[] = [];

  const hosts = [...state.hosts].sort((a, b) => compare(a.name, b.name));
  for (const host of hosts) {
    for (const a of planHost(state, host, changing)) if (keep(a)) yield a;
    for (const a of planOrphans(host.name, state.outputs.get(host.name), deliveredNames(host), Reason.secretRemoved)) if (keep(a)) removals.push(a);
  }
  const declaredHosts = new Set(hosts.map((h) => h.name));
  for (const name of [...state.outputs.keys()].sort(compare)) {
    if (declaredHosts.has(name)) continue;
    for (const a of planOrphans(name, state.outputs.get(name), new Set(), Reason.hostRemoved)) if (keep(a)) removals.push(a);
  }
  yield* removals;
}

/** A filter keeps a generation when it keeps the secret or one that (transitively) depends on it. */
function keptGeneration(generation: readonly Action[], graph: ReadonlyMap<string, readonly string[]>, filter: PlanFilter, hosts: readonly HostState[]): Action[] {
  const direct = new Set(generation.filter((a) => passesFilter(a, filter, hosts)).map((a) => a.secret));
  return generation.filter((a) => direct.has(a.secret) || [...dependentsOf(graph, [a.secret])].some((d) => direct.has(d)));
}

/** The union of every host's secret declarations, by name; the first declaration wins. */
export function declaredSecrets(hosts: readonly HostState[]): Map<string, SecretDecl> {
  const declared = new Map<string, SecretDecl>();
  for (const host of [...hosts].sort((a, b) => compare(a.name, b.name))) {
    for (const secret of host.secrets) if (!declared.has(secret.name)) declared.set(secret.name, secret);
  }
  return declared;
}

/** The dependency graph of the secrets that have a generator. */
export function generatorGraph(declared: ReadonlyMap<string, SecretDecl>): Map<string, readonly string[]> {
  const graph = new Map<string, readonly string[]>();
  for (const [name, decl] of declared) if (decl.generator !== undefined) graph.set(name, decl.dependencies);
  return graph;
}

function planGeneration(state: RepoState, declared: ReadonlyMap<string, SecretDecl>) {
  const graph = generatorGraph(declared);
  const generation: Action[] = [];
  const changing = new Set<string>();
  for (const name of orderByDependencies(graph)) {
    const decl = declared.get(name)!;
    const generator = decl.generator!.name;
    if (!state.sources.has(name)) {
      generation.push({ action: "generate", host: null, secret: name, reason: Reason.generate(generator) });
      changing.add(name);
      continue;
    }
    const record = state.sourceRecords.get(name)?.generated;
    if (record === undefined) continue; // provided by the user, not generated: never overwrite it
    const stale = [...decl.dependencies].sort(compare).find((dep) => changing.has(dep) || state.sources.get(dep) !== record.dependencies[dep]);
    if (stale !== undefined) {
      const how = changing.has(stale) ? "will change" : "changed";
      generation.push({ action: "regenerate", host: null, secret: name, reason: Reason.regenerate(stale, how) });
      changing.add(name);
    }
  }
  return { generation, changing };
}

function deliveredNames(host: HostState): Set<string> {
  return new Set(host.secrets.filter((s) => !s.intermediary).map((s) => s.name));
}

function planHost(state: RepoState, host: HostState, changing: ReadonlySet<string>): Action[] {
  const outputs = state.outputs.get(host.name);
  const actions: Action[] = [];
  for (const name of [...deliveredNames(host)].sort(compare)) {
    const source = state.sources.get(name);
    const willChange = changing.has(name);
    if (source === undefined && !willChange) continue; // rejected by the loader: missing, no generator
    const file = outputs?.files.get(name);
    const record = outputs?.record?.outputs.get(name);
    if (file === undefined) {
      const reason = source === undefined ? Reason.willGenerate : Reason.outputMissing;
      actions.push({ action: "create", host: host.name, secret: name, reason });
      continue;
    }
    const reasons: string[] = [];
    if (record === undefined) reasons.push(Reason.unrecorded);
    else if (record.output !== file) reasons.push(Reason.tampered);
    if (willChange) reasons.push(Reason.willRegenerate);
    else if (record !== undefined && record.source !== source) reasons.push(Reason.sourceChanged);
    if (record !== undefined && record.recipient !== host.recipient) reasons.push(Reason.hostKeyChanged);
    if (reasons.length > 0) actions.push({ action: "update", host: host.name, secret: name, reason: reasons.join("; ") });
  }
  return actions;
}

function planOrphans(host: string, outputs: HostOutputs | undefined, delivered: ReadonlySet<string>, reason: string): Action[] {
  if (outputs === undefined) return [];
  const present = new Set([...outputs.files.keys(), ...(outputs.record?.outputs.keys() ?? [])]);
  return [...present]
    .filter((name) => !delivered.has(name))
    .sort(compare)
    .map((secret): Action => ({ action: "remove", host, secret, reason }));
}

function passesFilter(action: Action, filter: PlanFilter, hosts: readonly HostState[]): boolean {
  const hostNames = filter.hosts ?? [];
  const secretNames = filter.secrets ?? [];
  if (secretNames.length > 0 && !secretNames.some((p) => matchesName(p, action.secret))) return false;
  if (hostNames.length === 0) return true;
  if (action.host !== null) return hostNames.includes(action.host);
  // Generation serves the filtered hosts when one of them receives (or depends on) the secret.
  return hosts.some((h) => hostNames.includes(h.name) && h.secrets.some((s) => s.name === action.secret));
}

/** Code-point order: the same on every machine and locale. */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

