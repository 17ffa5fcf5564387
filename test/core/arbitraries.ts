/**
 * fast-check arbitraries of planner input that the loader would accept (every declared
 * secret has a source or a generator, no dependency cycle, one generator per secret), a
 * shuffler of every order in a state, and a pure model of what apply leaves behind.
 */
import fc from "fast-check";
import type { HostOutputs, HostState, OutputRecord, RepoState, SourceRecord } from "../../src/core/model.js";
import type { Plan } from "../../src/core/plan.js";
import { aSecret } from "./builders.js";

const SECRETS = ["a", "b", "c/d", "e", "f"] as const;
const HOSTS = ["h1", "h2", "h3", "old"] as const;

const secretShape = fc.record({
  generated: fc.boolean(),
  depMask: fc.nat(31),
  source: fc.option(fc.nat(2), { nil: undefined }),
  record: fc.constantFrom("none", "fresh", "stale"),
});
const outputShape = fc.record({
  file: fc.constantFrom("none", "ok", "other"),
  record: fc.constantFrom("none", "ok", "staleSource", "staleKey", "otherOutput"),
});
const hostShape = fc.record({
  declared: fc.boolean(),
  keyVersion: fc.nat(1),
  recordedKeyVersion: fc.nat(1),
  secrets: fc.tuple(...SECRETS.map(() => fc.constantFrom("no", "yes", "intermediary"))),
  outputs: fc.tuple(...SECRETS.map(() => outputShape)),
});

/** A valid RepoState. */
export const validState: fc.Arbitrary<RepoState> = fc
  .record({ secrets: fc.tuple(...SECRETS.map(() => secretShape)), hosts: fc.tuple(...HOSTS.map(() => hostShape)) })
  .map(({ secrets, hosts }) => {
    const sources = new Map<string, string>();
    const deps = (i: number) => SECRETS.filter((_, j) => j < i && (secrets[i]!.depMask & (1 << j)) !== 0);
    const declaredAnywhere = new Set<string>();
    hosts.forEach((h) => h.declared && h.secrets.forEach((s, i) => s !== "no" && declaredAnywhere.add(SECRETS[i]!)));
    SECRETS.forEach((name, i) => {
      const s = secrets[i]!;
      // The loader needs a source for a secret with no generator, or that no host declares.
      const mustExist = !s.generated || !declaredAnywhere.has(name);
      if (s.source !== undefined || mustExist) sources.set(name, `src:${name}:${s.source ?? 0}`);
    });
    const sourceRecords = new Map<string, SourceRecord>();
    SECRETS.forEach((name, i) => {
      const s = secrets[i]!;
      if (!s.generated || !sources.has(name) || s.record === "none") return;
      const dependencies: Record<string, string> = {};
      for (const d of deps(i)) dependencies[d] = s.record === "fresh" ? (sources.get(d) ?? "none") : "old";
      sourceRecords.set(name, { masterRecipients: [], generated: { generator: "g", dependencies } });
    });
    const hostStates: HostState[] = [];
    const outputs = new Map<string, HostOutputs>();
    hosts.forEach((h, hi) => {
      const name = HOSTS[hi]!;
      const key = `key:${name}:${h.keyVersion}`;
      if (h.declared) {
        const decls = SECRETS.flatMap((s, i) => {
          const how = h.secrets[i]!;
          if (how === "no") return [];
          const generated = secrets[i]!.generated;
          return [aSecret(s, { intermediary: how === "intermediary", ...(generated ? { generator: "g", dependencies: deps(i) } : {}) })];
        });
        hostStates.push({ name, recipient: key, secrets: decls });
      }
      const files = new Map<string, string>();
      const records = new Map<string, OutputRecord>();
      SECRETS.forEach((s, i) => {
        const o = h.outputs[i]!;
        const out = `out:${name}/${s}`;
        if (o.file !== "none") files.set(s, o.file === "ok" ? out : "tampered");
        if (o.record === "none") return;
        records.set(s, {
          source: o.record === "staleSource" ? "old" : (sources.get(s) ?? "none"),
          recipient: o.record === "staleKey" ? "key:older" : `key:${name}:${h.recordedKeyVersion}`,
          output: o.record === "otherOutput" ? "other" : out,
        });
      });
      if (files.size > 0 || records.size > 0) outputs.set(name, { files, record: records.size > 0 ? { host: name, outputs: records } : undefined });
    });
    return { hosts: hostStates, sources, sourceRecords, outputs };
  });

/** A plan filter over the names the arbitraries use, globs included. */
export const aFilter = fc.record({
  hosts: fc.subarray([...HOSTS, "nobody"]),
  secrets: fc.subarray([...SECRETS, "c/*", "*", "?", "**"]),
});

/** Deterministic shuffle driven by `seed` (a small LCG: no Math.random in tests). */
export function shuffle<T>(items: Iterable<T>, seed: number): T[] {
  const out = [...items];
  let x = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const j = x % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** The same state with every array and map in another order. */
export function shuffleState(state: RepoState, seed: number): RepoState {
  const map = <K, V>(m: ReadonlyMap<K, V>, f: (v: V) => V = (v) => v) => new Map(shuffle(m, seed).map(([k, v]) => [k, f(v)]));
  return {
    hosts: shuffle(state.hosts, seed).map((h) => ({ ...h, secrets: shuffle(h.secrets, seed + 1).map((s) => ({ ...s, dependencies: shuffle(s.dependencies, seed + 2) })) })),
    sources: map(state.sources),
    sourceRecords: map(state.sourceRecords, (r) =>
      r.generated === undefined ? r : { ...r, generated: { ...r.generated, dependencies: Object.fromEntries(shuffle(Object.entries(r.generated.dependencies), seed)) } },
    ),
    outputs: map(state.outputs, (o) => ({ files: map(o.files), record: o.record === undefined ? undefined : { ...o.record, outputs: map(o.record.outputs) } })),
  };
}

/**
 * What apply leaves behind, modelled purely: generated sources get fresh digests and records
 * (dependency digests as they are at that moment), written outputs get fresh digests and
 * matching records, removed outputs disappear (an undeclared host's folder with them).
 */
export function simulateApply(state: RepoState, plan: Plan): RepoState {
  let counter = 0;
  const fresh = (what: string) => `fresh:${what}:${++counter}`;
  const sources = new Map(state.sources);
  const sourceRecords = new Map(state.sourceRecords);
  const outputs = new Map([...state.outputs].map(([h, o]) => [h, { files: new Map(o.files), records: new Map(o.record?.outputs ?? []) }]));
  const declOf = (secret: string) => state.hosts.flatMap((h) => h.secrets).find((s) => s.name === secret);
  for (const a of plan.actions) {
    if (a.action === "generate" || a.action === "regenerate") {
      const decl = declOf(a.secret)!;
      const dependencies = Object.fromEntries(decl.dependencies.map((d) => [d, sources.get(d) ?? "missing"]));
      sources.set(a.secret, fresh(a.secret));
      sourceRecords.set(a.secret, { masterRecipients: [], generated: { generator: decl.generator!.name, dependencies } });
    }
  }
  for (const a of plan.actions) {
    if (a.host === null) continue;
    let o = outputs.get(a.host);
    if (o === undefined) outputs.set(a.host, (o = { files: new Map(), records: new Map() }));
    if (a.action === "remove") {
      o.files.delete(a.secret);
      o.records.delete(a.secret);
      continue;
    }
    const recipient = state.hosts.find((h) => h.name === a.host)!.recipient;
    const output = fresh(`${a.host}/${a.secret}`);
    o.files.set(a.secret, output);
    o.records.set(a.secret, { source: sources.get(a.secret)!, recipient, output });
  }
  const declared = new Set(state.hosts.map((h) => h.name));
  const after = new Map<string, HostOutputs>();
  for (const [host, o] of outputs) {
    if (!declared.has(host) && o.files.size === 0 && o.records.size === 0) continue;
    after.set(host, { files: o.files, record: { host, outputs: o.records } });
  }
  return { hosts: state.hosts, sources, sourceRecords, outputs: after };
}
