/**
 * Provenance records, committed to git beside the outputs:
 *
 * - `<output>/<host>/provenance.yaml`: for each output of a host, the digests of its source
 *   and of the output itself, and the recipient it was encrypted to;
 * - `<secrets>/provenance.yaml`: for each source rekey wrote, its master-recipient set and,
 *   for a generated source, its generator and its dependencies' digests at generation.
 *
 * Both are sorted, one line per secret, so a pull request shows which host gained or lost
 * which secret. Digests are SHA-256 in hex; a record holds no plaintext.
 */
import { RekeyError } from "../core/errors.js";
import type { GeneratedRecord, HostRecord, OutputRecord, SourceRecord } from "../core/model.js";
import { compare } from "../core/planner.js";
import { yaml } from "./yaml-lazy.js";
import { keyName, parseYamlSource } from "./yaml-source.js";

/** The file name of a provenance record. */
export const PROVENANCE_FILE = "provenance.yaml";

const DIGEST = /^[0-9a-f]{64}$/;

/** Renders a host record. Deterministic: the same record always gives the same bytes. */
export function renderHostRecord(record: HostRecord): string {
  const lines = [
    `# Provenance of the outputs for host ${record.host}, written by \`rekey apply\`. Do not edit:`,
    "# `rekey plan` compares these SHA-256 digests with the files to find stale or tampered outputs.",
    `host: ${JSON.stringify(record.host)}`,
    record.outputs.size === 0 ? "outputs: {}" : "outputs:",
  ];
  for (const name of [...record.outputs.keys()].sort(compare)) {
    const r = record.outputs.get(name)!;
    lines.push(`  ${JSON.stringify(name)}: {source: "${r.source}", output: "${r.output}", recipient: ${JSON.stringify(r.recipient)}}`);
  }
  return lines.join("\n") + "\n";
}

const QUOTED = String.raw`"(?:[^"\\]|\\.)*"`;
const OUTPUT_LINE = new RegExp(String.raw`^  (${QUOTED}): \{source: "([0-9a-f]{64})", output: "([0-9a-f]{64})", recipient: (${QUOTED})\}$`);
const HOST_LINE = new RegExp(String.raw`^host: (${QUOTED})$`);

/**
 * Reads a record exactly as {@link renderHostRecord} writes it, line by line, or returns
 * null for anything else (which the YAML path then judges). `plan` reads one record per
 * host, and a full YAML parse of each costs more than all the rest of a no-op plan.
 */
function parseRenderedHostRecord(text: string): HostRecord | null {
  const lines = text.split("\n");
  let i = 0;
  while (lines[i]?.startsWith("#")) i++;
  const host = HOST_LINE.exec(lines[i++] ?? "");
  if (host === null) return null;
  const outputs = new Map<string, OutputRecord>();
  const header = lines[i++];
  if (header === "outputs:") {
    for (; i < lines.length && lines[i] !== ""; i++) {
      const m = OUTPUT_LINE.exec(lines[i]!);
      if (m === null) return null;
      const name = unquote(m[1]!);
      const recipient = unquote(m[4]!);
      if (name === null || recipient === null || outputs.has(name)) return null;
      outputs.set(name, { source: shared(m[2]!), output: own(m[3]!), recipient: shared(recipient) });
    }
  } else if (header !== "outputs: {}") return null;
  if (lines.slice(i).some((l) => l !== "") || outputs.size === 0 && header === "outputs:") return null;
  const recipientsOk = [...outputs.values()].every((r) => r.recipient !== "");
  const hostName = unquote(host[1]!);
  return recipientsOk && hostName !== null ? { host: hostName, outputs } : null;
}

/**
 * A match of a regular expression is a slice that keeps the whole record text alive: on a
 * fleet of 2,000 hosts that is ~50 MB held by `plan` for 64-byte digests. `own` copies one
 * out; `shared` also makes equal values one string (the source digests repeat on every host
 * that receives the source, and a host's recipient on each of its outputs).
 */
function own(text: string): string {
  return JSON.parse(JSON.stringify(text)) as string;
}

const interned = new Map<string, string>();
const INTERNED_MAX = 100_000;

function shared(text: string): string {
  let value = interned.get(text);
  if (value === undefined) {
    value = own(text);
    if (interned.size >= INTERNED_MAX) interned.clear();
    interned.set(value, value);
  }
  return value;
}

/** The string a JSON string literal spells, or null when it is not valid JSON (e.g. a raw control character). */
function unquote(literal: string): string | null {
  try {
    return JSON.parse(literal) as string;
  } catch {
    return null;
  }
}

/** Parses a host record; throws BAD_SOURCE naming `file` when it is malformed. */
export function parseHostRecord(file: string, text: string): HostRecord {
  const fast = parseRenderedHostRecord(text);
  if (fast !== null) return fast;
  const { isMap } = yaml();
  const { root, problems } = parseYamlSource(file, text);
  const bad = (why: string) =>
    new RekeyError("BAD_SOURCE", `${file} is not a valid provenance record: ${why}`, {
      file,
      hint: "Restore it from git (`git checkout -- <file>`), or delete it and run `rekey apply` to rewrite every output of this host.",
    });
  if (problems.count > 0 || root === null) throw bad("it is not a YAML mapping");
  const host = root.get("host");
  const outputs = root.get("outputs", true);
  if (typeof host !== "string") throw bad("`host` must be a string");
  if (!isMap(outputs)) throw bad("`outputs` must be a mapping");
  const records = new Map<string, OutputRecord>();
  for (const pair of outputs.items) {
    const name = keyName(pair.key);
    const value = pair.value;
    const source = isMap(value) ? String(value.get("source")) : "";
    const output = isMap(value) ? String(value.get("output")) : "";
    const recipient = isMap(value) ? value.get("recipient") : undefined;
    if (!DIGEST.test(source) || !DIGEST.test(output)) throw bad(`the entry for '${name}' needs hex SHA-256 digests \`source\` and \`output\``);
    if (typeof recipient !== "string" || recipient === "") throw bad(`the entry for '${name}' needs a \`recipient\``);
    records.set(name, { source, output, recipient });
  }
  return { host, outputs: records };
}

/** Renders the sources record. */
export function renderSourceRecords(records: ReadonlyMap<string, SourceRecord>): string {
  const lines = [
    "# Provenance of the master-encrypted sources, written by rekey. Do not edit: it records the",
    "# master recipients of each source and, for generated ones, the dependency digests they came from.",
    records.size === 0 ? "sources: {}" : "sources:",
  ];
  for (const name of [...records.keys()].sort(compare)) {
    const r = records.get(name)!;
    const fields = [`master: [${r.masterRecipients.map((m) => JSON.stringify(m)).join(", ")}]`];
    if (r.generated !== undefined) {
      fields.push(`generator: ${JSON.stringify(r.generated.generator)}`);
      const deps = Object.keys(r.generated.dependencies).sort(compare);
      fields.push(`dependencies: {${deps.map((d) => `${JSON.stringify(d)}: "${r.generated!.dependencies[d]}"`).join(", ")}}`);
    }
    lines.push(`  ${JSON.stringify(name)}: {${fields.join(", ")}}`);
  }
  return lines.join("\n") + "\n";
}

const DEPENDENCY = String.raw`(${QUOTED}): "([0-9a-f]{64})"`;
const SOURCE_LINE = new RegExp(
  String.raw`^  (${QUOTED}): \{master: \[((?:${QUOTED}(?:, ${QUOTED})*)?)\]` +
    String.raw`(?:, generator: (${QUOTED}), dependencies: \{((?:${DEPENDENCY}(?:, ${DEPENDENCY})*)?)\})?\}$`,
);

/**
 * Reads a sources record exactly as {@link renderSourceRecords} writes it, or returns null
 * for anything else (which the YAML path then judges). `plan` and `check` read it on every
 * run; with this and the other fast paths, they need not load the YAML parser at all.
 */
function parseRenderedSourceRecords(text: string): Map<string, SourceRecord> | null {
  const lines = text.split("\n");
  let i = 0;
  while (lines[i]?.startsWith("#")) i++;
  const header = lines[i++];
  const records = new Map<string, SourceRecord>();
  if (header === "sources:") {
    for (; i < lines.length && lines[i] !== ""; i++) {
      const m = SOURCE_LINE.exec(lines[i]!);
      if (m === null) return null;
      const name = unquote(m[1]!);
      const master = [...m[2]!.matchAll(new RegExp(QUOTED, "g"))].map((q) => unquote(q[0]));
      if (name === null || records.has(name) || master.includes(null)) return null;
      let generated: GeneratedRecord | undefined;
      if (m[3] !== undefined) {
        const generator = unquote(m[3]);
        const entries: [string, string][] = [];
        const seen = new Set<string>(); // YAML refuses a duplicate key; JSON would keep the last
        for (const d of m[4]!.matchAll(new RegExp(DEPENDENCY, "g"))) {
          const dep = unquote(d[1]!);
          if (dep === null || seen.has(dep)) return null;
          seen.add(dep);
          entries.push([dep, d[2]!]);
        }
        if (generator === null) return null;
        // fromEntries defines own properties: a key named "__proto__" stays a key.
        generated = { generator, dependencies: Object.fromEntries(entries) };
      }
      records.set(name, { masterRecipients: master as string[], generated }); // no null: checked above
    }
  } else if (header !== "sources: {}") return null;
  if (lines.slice(i).some((l) => l !== "") || (records.size === 0 && header === "sources:")) return null;
  return records;
}

/** Parses the sources record; throws BAD_SOURCE naming `file` when it is malformed. */
export function parseSourceRecords(file: string, text: string): Map<string, SourceRecord> {
  const fast = parseRenderedSourceRecords(text);
  if (fast !== null) return fast;
  const { isMap, isScalar, isSeq } = yaml();
  const { root, problems } = parseYamlSource(file, text);
  const bad = (why: string) =>
    new RekeyError("BAD_SOURCE", `${file} is not a valid provenance record: ${why}`, { file, hint: "Restore it from git (`git checkout -- <file>`)." });
  if (problems.count > 0 || root === null) throw bad("it is not a YAML mapping");
  const sources = root.get("sources", true);
  if (!isMap(sources)) throw bad("`sources` must be a mapping");
  const out = new Map<string, SourceRecord>();
  for (const pair of sources.items) {
    const name = keyName(pair.key);
    const value = pair.value;
    if (!isMap(value)) throw bad(`the entry for '${name}' must be a mapping`);
    const master = value.get("master", true);
    if (!isSeq(master) || !master.items.every((i) => isScalar(i) && typeof i.value === "string")) throw bad(`'${name}': master must be a list of strings`);
    const generator = value.get("generator");
    let generated: GeneratedRecord | undefined;
    if (generator !== undefined) {
      const deps = value.get("dependencies", true);
      const entries: [string, string][] = [];
      if (deps !== undefined && !isMap(deps)) throw bad(`'${name}': dependencies must be a mapping`);
      for (const d of isMap(deps) ? deps.items : []) {
        const digest = isScalar(d.value) ? String(d.value.value) : "";
        if (!DIGEST.test(digest)) throw bad(`'${name}': dependency digests must be hex SHA-256`);
        entries.push([keyName(d.key), digest]);
      }
      if (typeof generator !== "string") throw bad(`'${name}': generator must be a string`);
      generated = { generator, dependencies: Object.fromEntries(entries) };
    }
    out.set(name, { masterRecipients: master.items.map((i) => String((i as { value: unknown }).value)), generated });
  }
  return out;
}
