/**
 * Loading and validating host manifests (hosts/<host>.yaml).
 *
 * Every problem in every manifest is reported at once, each with file:line:col.
 */
import { join } from "node:path";
import type { Node, Pair } from "yaml";
import { isRekeyError, RekeyError } from "../core/errors.js";
import type { DeployMeta, GeneratorRef, HostDecl, Position, SecretDecl, StanzaMode } from "../core/model.js";
import { hostNameProblem, isGlob, matchesName, NamePool, ownString, secretNameProblem } from "../core/names.js";
import { compare } from "../core/planner.js";
import { parseRecipient, type RekeyRecipient } from "../crypto/recipients.js";
import { parseSimpleManifest } from "./manifest-fast.js";
import { workingTreeFiles, type RepoFiles } from "./repo-files.js";
import { yaml } from "./yaml-lazy.js";
import { keyName, parseYamlSource, Problems, unknownKeyMessage } from "./yaml-source.js";

/** A host manifest with its parsed recipient. */
export interface LoadedHost extends HostDecl {
  readonly recipient: RekeyRecipient;
}

const HOST_KEYS = ["pubkey", "stanza", "secrets"] as const;
const SECRET_KEYS = ["generator", "dependencies", "intermediary", "tags", "owner", "group", "mode", "path", "symlink"] as const;

/** The manifests' file names (repo-relative), sorted. Only .yaml and .yml files count. */
export function listManifests(root: string, hostsDir: string, files: RepoFiles = workingTreeFiles(root)): string[] {
  const entries = files.entries(hostsDir).map((e) => e.name);
  return entries.filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => `${hostsDir}/${f}`);
}

/**
 * Loads every manifest. `sources` is the set of source names under secrets/, for glob
 * expansion and for checking that each secret has a source or a generator.
 */
export function loadHosts(root: string, hostsDir: string, sources: ReadonlySet<string>, files: RepoFiles = workingTreeFiles(root)): LoadedHost[] {
  const problems = new Problems();
  const hosts: LoadedHost[] = [];
  const seen = new Map<string, string>();
  const pool = new NamePool();
  for (const file of listManifests(root, hostsDir, files)) {
    const name = file.slice(hostsDir.length + 1).replace(/\.ya?ml$/, "");
    const nameProblem = hostNameProblem(name);
    if (nameProblem !== null) {
      problems.addRaw(`${printable(file)}: host name '${printable(name)}' ${nameProblem}`); // a file name may hold a newline
      continue;
    }
    const other = seen.get(name);
    if (other !== undefined) {
      problems.addRaw(`${file}: duplicate host '${name}' (also declared by ${other})`);
      continue;
    }
    seen.set(name, file);
    const bytes = files.readSync(file);
    if (bytes === null) throw new RekeyError("IO", `cannot read ${file}: it disappeared while rekey was reading`, { file, hint: "Run the command again." });
    const host = parseManifest(files, file, name, Buffer.from(bytes).toString("utf8"), sources, problems, pool);
    if (host !== null) hosts.push(host);
  }
  pool.trim();
  checkAcrossHosts(hosts, sources, problems);
  problems.throwIfAny("INVALID_MANIFEST", "Fix the manifests listed above, then run `rekey plan` again.");
  return hosts;
}

function parseManifest(files: RepoFiles, file: string, name: string, text: string, sources: ReadonlySet<string>, all: Problems, pool: NamePool): LoadedHost | null {
  const simple = simpleHost(file, name, text, pool);
  if (simple !== null) return simple;
  const { isScalar } = yaml();
  const { root: doc, problems } = parseYamlSource(file, text);
  const before = problems.count;
  let recipient: RekeyRecipient | null = null;
  let stanza: StanzaMode = "native";
  let pubkeyNode: Node | null = null;
  let secrets: SecretDecl[] = [];
  if (doc === null && problems.count === 0) problems.add(file, null, "the manifest is empty; it needs at least `pubkey:`");
  for (const pair of doc?.items ?? []) {
    const key = keyName(pair.key);
    const value = pair.value as Node | null;
    if (key === "pubkey") pubkeyNode = value ?? (pair.key as Node);
    else if (key === "stanza") {
      if (isScalar(value) && (value.value === "native" || value.value === "x25519")) stanza = value.value;
      else problems.add(file, value ?? (pair.key as Node), "stanza must be 'native' or 'x25519'");
    } else if (key === "secrets") secrets = parseSecrets(file, value, sources, problems);
    else problems.add(file, pair.key as Node, unknownKeyMessage(key, HOST_KEYS));
  }
  if (doc !== null && pubkeyNode === null) problems.add(file, doc, "missing `pubkey:` (the host's SSH host key or age1 recipient)");
  let pubkey = "";
  if (pubkeyNode !== null) {
    const text_ = pubkeyText(files, file, pubkeyNode, problems);
    if (text_ !== null) {
      try {
        recipient = parseRecipient(text_, { stanza });
        pubkey = recipient.text;
      } catch (e) {
        problems.add(file, pubkeyNode, `bad pubkey: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }
  // Problems are positioned by this file's own line counter; move them to the shared list.
  collect(problems, all);
  if (problems.count > before || recipient === null) return null;
  return { name, file, pubkey, stanza, secrets, recipient };
}

// Shared by every entry of the simple shape: a fleet of 2,000 hosts × 100 secrets has
// 200,000 entries, and three empty objects each were a third of the memory of a plan.
const NONE: readonly string[] = Object.freeze([]);
const NO_META: DeployMeta = Object.freeze({});

/**
 * A secret declared with `{}` in a manifest of the simple shape: the defaults come from the
 * prototype and the position is made when asked for. Made when a host's secrets are read
 * (see {@link SimpleHost}), and not kept.
 */
class PlainSecret implements SecretDecl {
  readonly #file: string;
  readonly #line: number;

  constructor(
    readonly name: string,
    file: string,
    line: number,
  ) {
    this.#file = file;
    this.#line = line;
  }

  get generator(): undefined {
    return undefined;
  }
  get dependencies(): readonly string[] {
    return NONE;
  }
  get intermediary(): boolean {
    return false;
  }
  get tags(): readonly string[] {
    return NONE;
  }
  get meta(): DeployMeta {
    return NO_META;
  }
  get at(): Position {
    return { file: this.#file, line: this.#line, col: 3 };
  }
}

/**
 * A manifest of the simple shape. Its secrets are kept as integers in the load's
 * {@link NamePool}, 2 bytes each in most fleets (twice that when their lines do not follow
 * each other in name order), and made into declarations each time they are read: W2's
 * 200,000 entries as objects held 9 MiB, a fifth of the main thread's heap during an apply,
 * for defaults that are the same for every entry.
 */
class SimpleHost implements LoadedHost {
  readonly name: string;
  readonly file: string;
  readonly #pool: NamePool;
  /** Where this host's name indices start in the pool; its lines follow them when stored. */
  readonly #start: number;
  readonly #count: number;
  /** The line of the first secret (in name order) when each next one is on the next line; else -1. */
  readonly #firstLine: number;

  constructor(
    name: string,
    file: string,
    readonly stanza: StanzaMode,
    readonly recipient: RekeyRecipient,
    pool: NamePool,
    entries: readonly { readonly name: string; readonly line: number }[],
  ) {
    this.name = ownString(name);
    this.file = ownString(file);
    this.#pool = pool;
    const sorted = [...entries].sort((a, b) => compare(a.name, b.name));
    this.#start = pool.length;
    this.#count = sorted.length;
    for (const e of sorted) pool.push(pool.names.idOf(e.name));
    const first = sorted[0]?.line ?? 0;
    const consecutive = sorted.every((e, i) => e.line === first + i);
    this.#firstLine = consecutive ? first : -1;
    if (!consecutive) for (const e of sorted) pool.push(e.line);
  }

  get pubkey(): string {
    return this.recipient.text;
  }

  /** Sorted by name, as {@link HostDecl} requires; a new array of new objects each time. */
  get secrets(): readonly SecretDecl[] {
    const out: SecretDecl[] = [];
    const pool = this.#pool;
    for (let i = 0; i < this.#count; i++) {
      const line = this.#firstLine >= 0 ? this.#firstLine + i : pool.at(this.#start + this.#count + i);
      out.push(new PlainSecret(pool.nameAt(this.#start + i), this.file, line));
    }
    return out;
  }
}

/**
 * A valid manifest in the simple shape, read without YAML; null for anything else (any
 * problem included: the YAML path then reports it with its position).
 */
function simpleHost(file: string, name: string, text: string, pool: NamePool): LoadedHost | null {
  const simple = parseSimpleManifest(text);
  // A name already in the table came from a manifest that passed this check: each distinct
  // name is checked once, not once per host that declares it (~8 ms on 200 hosts × 50).
  if (simple === null || simple.secrets.some((s) => !pool.names.has(s.name) && secretNameProblem(s.name) !== null)) return null;
  let recipient: RekeyRecipient;
  try {
    recipient = parseRecipient(simple.pubkey.text, { stanza: simple.stanza });
  } catch {
    return null;
  }
  return new SimpleHost(name, file, simple.stanza, recipient, pool, simple.secrets);
}

function collect(from: Problems, to: Problems): void {
  try {
    from.throwIfAny("INVALID_MANIFEST", "");
  } catch (e) {
    if (!isRekeyError(e)) throw e;
    for (const line of e.message.split("\n").slice(1)) to.addRaw(line.trim());
  }
}

function pubkeyText(files: RepoFiles, file: string, node: Node, problems: Problems): string | null {
  const { isMap, isScalar } = yaml();
  if (isScalar(node) && typeof node.value === "string") return node.value;
  if (isMap(node) && node.items.length === 1 && keyName(node.items[0]!.key) === "file") {
    const rel = (node.items[0]!.value as Node | null);
    if (isScalar(rel) && typeof rel.value === "string") {
      try {
        const bytes = files.readSync(rel.value);
        if (bytes === null) throw new Error("no such file (ENOENT)");
        const line = Buffer.from(bytes).toString("utf8").split(/\r?\n/).find((l) => l.trim() !== "" && !l.startsWith("#"));
        if (line !== undefined) return line.trim();
        problems.add(file, rel, `pubkey file ${rel.value} holds no key`);
      } catch (e) {
        problems.add(file, rel, `cannot read pubkey file ${rel.value}: ${e instanceof Error ? e.message : String(e)}`);
      }
      return null;
    }
  }
  problems.add(file, node, "pubkey must be a key (`ssh-ed25519 AAAA...` or `age1...`) or {file: path}");
  return null;
}

function parseSecrets(file: string, node: Node | null, sources: ReadonlySet<string>, problems: Problems): SecretDecl[] {
  const { isMap, isScalar } = yaml();
  if (node === null || (isScalar(node) && node.value === null)) return [];
  if (!isMap(node)) {
    problems.add(file, node, "secrets must be a mapping of secret names to settings ({} for none)");
    return [];
  }
  const explicit = new Map<string, SecretDecl>();
  const globbed = new Map<string, SecretDecl>();
  for (const pair of (node).items) {
    const pattern = keyName(pair.key);
    const decl = parseSecret(file, pattern, pair, problems);
    if (decl === null) continue;
    if (!isGlob(pattern)) {
      explicit.set(pattern, decl);
      continue;
    }
    const matches = [...sources].filter((s) => matchesName(pattern, s));
    if (matches.length === 0) problems.add(file, pair.key as Node, `the glob '${pattern}' matches no source under secrets/`);
    for (const m of matches) globbed.set(m, { ...decl, name: m });
  }
  for (const [name, decl] of explicit) globbed.set(name, decl); // an explicit entry overrides a glob's
  return [...globbed.values()].sort((a, b) => compare(a.name, b.name));
}

function parseSecret(file: string, name: string, pair: Pair, problems: Problems): SecretDecl | null {
  const { isMap, isScalar } = yaml();
  const keyNode = pair.key as Node;
  const at = problems.positionOf(file, keyNode);
  const nameProblem = isGlob(name) ? globProblem(name) : secretNameProblem(name);
  if (nameProblem !== null) {
    problems.add(file, keyNode, `secret name '${printable(name)}' ${nameProblem}`);
    return null;
  }
  const value = pair.value as Node | null;
  let generator: GeneratorRef | undefined;
  let dependencies: string[] = [];
  let tags: string[] = [];
  let intermediary = false;
  const meta: Record<string, string | boolean> = {};
  if (value !== null && !(isScalar(value) && value.value === null) && !isMap(value)) {
    problems.add(file, value, `the settings of secret '${name}' must be a mapping ({} for none)`);
    return null;
  }
  for (const p of isMap(value) ? value.items : []) {
    const k = keyName(p.key);
    const v = p.value as Node | null;
    if (k === "generator") generator = parseGenerator(file, v, problems);
    else if (k === "dependencies") dependencies = names(file, v, "dependencies", problems, true);
    else if (k === "tags") tags = names(file, v, "tags", problems, false);
    else if (k === "intermediary" || k === "symlink") {
      if (isScalar(v) && typeof v.value === "boolean") {
        if (k === "intermediary") intermediary = v.value;
        else meta[k] = v.value;
      } else problems.add(file, v ?? (p.key as Node), `${k} must be true or false`);
    } else if (k === "owner" || k === "group" || k === "path" || k === "mode") {
      const s = isScalar(v) ? (k === "mode" && typeof v.value === "number" ? (v.source ?? String(v.value)) : v.value) : undefined;
      if (typeof s !== "string" || s === "") problems.add(file, v ?? (p.key as Node), `${k} must be a string`);
      else if (k === "mode" && !/^0?[0-7]{3,4}$/.test(s)) problems.add(file, v, `mode must be octal like "0400", not '${s}'`);
      else meta[k] = s;
    } else problems.add(file, p.key as Node, unknownKeyMessage(k, SECRET_KEYS));
  }
  if (dependencies.length > 0 && generator === undefined) problems.add(file, keyNode, `secret '${name}' lists dependencies but has no generator`);
  return { name, generator, dependencies, intermediary, tags, meta: meta, at };
}

function parseGenerator(file: string, node: Node | null, problems: Problems): GeneratorRef | undefined {
  const { isMap, isScalar } = yaml();
  if (isScalar(node) && typeof node.value === "string" && node.value !== "") return { name: node.value, settings: {} };
  if (isMap(node)) {
    const json = node.toJSON() as Record<string, unknown>;
    const { name, ...settings } = json;
    if (typeof name === "string" && name !== "") return { name, settings };
  }
  problems.add(file, node, "generator must be a name (`generator: alnum`) or a mapping with `name:` and settings");
  return undefined;
}

function names(file: string, node: Node | null, what: string, problems: Problems, secretNames: boolean): string[] {
  const { isScalar, isSeq } = yaml();
  if (!isSeq(node)) {
    problems.add(file, node, `${what} must be a list`);
    return [];
  }
  const out: string[] = [];
  for (const item of node.items) {
    const v = isScalar(item) ? item.value : undefined;
    const problem = typeof v !== "string" ? "must be a string" : secretNames ? secretNameProblem(v) : null;
    if (problem !== null) problems.add(file, item as Node, `${what} entry '${printable(String(v))}' ${problem}`);
    else out.push(v as string);
  }
  return out;
}

function globProblem(pattern: string): string | null {
  return secretNameProblem(pattern.replace(/[*?[\]{}]/g, "x"));
}

function printable(s: string): string {
  return JSON.stringify(s).slice(1, -1);
}

function checkAcrossHosts(hosts: readonly LoadedHost[], sources: ReadonlySet<string>, problems: Problems): void {
  const first = new Map<string, { host: LoadedHost; decl: SecretDecl }>();
  for (const host of hosts) {
    for (const decl of host.secrets) {
      const prior = first.get(decl.name);
      if (prior === undefined) first.set(decl.name, { host, decl });
      else if (!sameGeneration(prior.decl, decl)) {
        problems.addRaw(`${where(decl)}: secret '${decl.name}' is declared with ${describe(decl)} here but with ${describe(prior.decl)} in ${prior.host.file}`);
      }
    }
  }
  for (const [name, { decl }] of first) {
    if (!sources.has(name) && decl.generator === undefined) {
      problems.addRaw(`${where(decl)}: secret '${name}' has no source (secrets/${name}.age is missing) and no generator; create it with \`rekey edit ${name}\` or declare a generator`);
    }
    for (const dep of decl.dependencies) {
      if (!first.has(dep) && !sources.has(dep)) problems.addRaw(`${where(decl)}: secret '${name}' depends on '${dep}', which no host declares and which has no source`);
    }
  }
}

/** `file:line:col` of a declaration: every manifest problem carries its position. */
function where(decl: SecretDecl): string {
  return `${decl.at.file}:${decl.at.line}:${decl.at.col}`;
}

/** Whether two declarations of a secret agree on how it is generated (if at all). */
function sameGeneration(a: SecretDecl, b: SecretDecl): boolean {
  // The common case, a secret with no generator on both hosts, without a key for each.
  if (a.generator === undefined && b.generator === undefined && a.dependencies.length === 0 && b.dependencies.length === 0) return true;
  return generatorKey(a) === generatorKey(b);
}

function generatorKey(decl: SecretDecl): string {
  return JSON.stringify([decl.generator?.name ?? null, decl.generator?.settings ?? null, [...decl.dependencies].sort()]);
}

function describe(decl: SecretDecl): string {
  if (decl.generator === undefined) return "no generator";
  const deps = decl.dependencies.length > 0 ? ` and dependencies [${decl.dependencies.join(", ")}]` : "";
  return `generator ${JSON.stringify({ name: decl.generator.name, ...decl.generator.settings })}${deps}`;
}

/** Joins a repo-relative dir and name. */
export function repoPath(...parts: string[]): string {
  return join(...parts).replace(/\\/g, "/");
}
