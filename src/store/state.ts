/**
 * Gathers the repository's state for the planner: source digests, manifests, provenance
 * records and output digests. Reads files; decrypts nothing.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { RekeyError, isRekeyError } from "../core/errors.js";
import { orderByDependencies } from "../core/graph.js";
import type { HostOutputs, HostRecord, HostState, RepoState, SourceRecord } from "../core/model.js";
import { compare, declaredSecrets, generatorGraph } from "../core/planner.js";
import { NamePool, ownString } from "../core/names.js";
import { looksLikeAgeFile, readHeader } from "../crypto/header.js";
import type { Repo } from "./config.js";
import { loadHosts, type LoadedHost } from "./manifests.js";
import { parseHostRecord, parseSourceRecords, PROVENANCE_FILE } from "./provenance.js";
import { sha256Hex, workingTreeFiles, type RepoFiles } from "./repo-files.js";
import { resolveInside } from "./safe-path.js";

/** The state plus what was loaded to compute it. */
export interface LoadedState {
  readonly repo: Repo;
  readonly hosts: readonly LoadedHost[];
  readonly state: RepoState;
  /** SHA-256 (hex) over everything the plan depends on: a saved plan is stale when it differs. */
  readonly fingerprint: string;
}

export { sha256Hex };

/** The repo-relative path of a source. */
export function sourcePath(repo: Repo, name: string): string {
  return `${repo.config.paths.secrets}/${name}.age`;
}

/** The repo-relative path of an output. */
export function outputPath(repo: Repo, host: string, name: string): string {
  return `${repo.config.paths.output}/${host}/${name}.age`;
}

/** Loads everything the planner needs. Throws a RekeyError naming the file for any bad input. */
export async function loadState(repo: Repo): Promise<LoadedState> {
  const sources = await scanSources(repo);
  const sourceRecords = await readSourceRecords(repo);
  const hosts = loadHosts(repo.root, repo.config.paths.hosts, new Set(sources.keys()), filesOf(repo));
  const declared = declaredSecrets(hosts.map(hostState));
  orderByDependencies(generatorGraph(declared), (n) => declared.get(n)?.at); // throws on a cycle, naming the manifests
  const outputs = await scanOutputs(repo);
  const state: RepoState = { hosts: hosts.map(hostState), sources, sourceRecords, outputs };
  // Computed on first use: only a saved plan needs it, and it hashes the whole state.
  let fingerprint: string | undefined;
  return {
    repo,
    hosts,
    state,
    get fingerprint() {
      fingerprint ??= fingerprintState(state, repo.config.masterRecipients);
      return fingerprint;
    },
  };
}

function hostState(h: LoadedHost): HostState {
  return new LoadedHostState(h);
}

/**
 * A loaded host as the planner sees it. Its secrets are read through, not copied: a host may
 * make them on each read (see manifests.ts). A class, not an object literal with a getter,
 * which V8 keeps in dictionary mode (~450 bytes, per host of a fleet).
 */
class LoadedHostState implements HostState {
  readonly name: string;
  readonly recipient: string;
  readonly #host: LoadedHost;

  constructor(host: LoadedHost) {
    this.name = host.name;
    this.recipient = host.recipient.fingerprint;
    this.#host = host;
  }

  get secrets(): HostState["secrets"] {
    return this.#host.secrets;
  }
}

function filesOf(repo: Repo): RepoFiles {
  return repo.files ?? workingTreeFiles(repo.root);
}

/** Lists the source names under secrets/ (without the output folder), sorted. */
export async function listSources(repo: Repo): Promise<string[]> {
  const { secrets, output } = repo.config.paths;
  const ignore = output.startsWith(`${secrets}/`) ? output.slice(secrets.length + 1) : undefined;
  const found = await filesOf(repo).find(secrets, ".age", ignore);
  return found.map((f) => f.slice(0, -".age".length)).sort(compare);
}

async function scanSources(repo: Repo): Promise<Map<string, string>> {
  const names = await listSources(repo);
  const files = filesOf(repo);
  const digests = await mapLimit(names, 32, async (name) => {
    const rel = sourcePath(repo, name);
    const bytes = await readExisting(files, rel);
    checkAgeFile(rel, bytes, name);
    return sha256Hex(bytes);
  });
  return new Map(names.map((n, i) => [n, digests[i]!]));
}

/** Throws BAD_SOURCE when `bytes` (the source `rel`) is not a well-formed age file. */
export function checkAgeFile(rel: string, bytes: Uint8Array, name: string): void {
  const fix = `Encrypt it to the master keys with \`rekey edit ${name} --input FILE\` (and remove the plaintext), or restore it from git.`;
  if (!looksLikeAgeFile(bytes)) {
    throw new RekeyError("BAD_SOURCE", `${rel} is not an age file${bytes.length === 0 ? " (it is empty)" : " (plaintext?)"}`, { file: rel, hint: fix });
  }
  try {
    readHeader(bytes);
  } catch (e) {
    const why = isRekeyError(e) ? e.message : String(e);
    throw new RekeyError("BAD_SOURCE", `${rel} is a damaged age file: ${why}`, { file: rel, hint: fix, cause: e });
  }
}

async function readSourceRecords(repo: Repo): Promise<Map<string, SourceRecord>> {
  const rel = `${repo.config.paths.secrets}/${PROVENANCE_FILE}`;
  const text = await readOptional(filesOf(repo), rel);
  return text === null ? new Map() : parseSourceRecords(rel, text);
}

/**
 * What is in the output folder, host by host. Each host's folder is listed now (its names
 * kept as integers in a {@link NamePool}); its outputs are hashed and its record read when
 * the planner first asks for them, and kept for the last hosts asked about, up to
 * {@link RECENT_OUTPUTS} outputs: held for the whole fleet, the digests and records were ~300
 * bytes an output (a no-op plan of 200,000 outputs peaked at 133 MiB).
 */
async function scanOutputs(repo: Repo): Promise<Map<string, HostOutputs>> {
  const outputDir = repo.config.paths.output;
  const files = filesOf(repo);
  const hostDirs = files.entries(outputDir).sort((a, b) => compare(a.name, b.name));
  const result = new Map<string, HostOutputs>();
  const pool = new NamePool();
  const recent = new RecentFolders();
  for (const { name: host, kind } of hostDirs) {
    const rel = `${outputDir}/${host}`;
    if (host.startsWith(".")) continue;
    if (kind === "symlink") throw new RekeyError("UNSAFE_PATH", `${rel} is a symlink; rekey never writes through one`, { file: rel, hint: `Remove the symlink ${rel}; rekey recreates the folder.` });
    if (kind !== "dir") continue;
    const names = (await files.find(rel, ".age")).map((f) => f.slice(0, -4)).sort(compare);
    const start = pool.length;
    for (const name of names) pool.push(pool.names.idOf(name));
    result.set(ownString(host), new ScannedHost(files, ownString(rel), pool, start, names.length, recent));
  }
  pool.trim();
  return result;
}

/** A host's output files and record, as read. */
interface ScannedFolder {
  /** How many outputs the folder holds. */
  readonly count: number;
  record?: HostRecord | undefined;
  /** Whether {@link record} was read. */
  recordRead?: boolean;
  files?: ReadonlyMap<string, string>;
}

/**
 * Outputs whose digests and records are kept once read (~300 bytes each), the hosts read
 * last first. The planner asks about one host at a time, then apply about the records of the
 * hosts it writes to: below this many outputs (W1 has 10,000) nothing is read twice. Kept
 * for the last 16 hosts only, W1's 200-output incremental apply read its 200 records again
 * (parsing them took 37 to 48 ms, measured on their own).
 */
const RECENT_OUTPUTS = 16_384;

/** The folders read last, up to {@link RECENT_OUTPUTS} outputs (and at least the last one). */
class RecentFolders {
  readonly #folders = new Map<ScannedHost, ScannedFolder>();
  #outputs = 0;

  of(host: ScannedHost, count: number): ScannedFolder {
    let folder = this.#folders.get(host);
    if (folder === undefined) {
      for (const [older, kept] of this.#folders) {
        if (this.#outputs + count <= RECENT_OUTPUTS) break;
        this.#folders.delete(older);
        this.#outputs -= kept.count;
      }
      this.#folders.set(host, (folder = { count }));
      this.#outputs += count;
    }
    return folder;
  }
}

/** One host's output folder, read when asked about (see {@link scanOutputs}). */
class ScannedHost implements HostOutputs {
  readonly #files: RepoFiles;
  readonly #rel: string;
  readonly #pool: NamePool;
  readonly #start: number;
  readonly #count: number;
  readonly #recent: RecentFolders;

  constructor(files: RepoFiles, rel: string, pool: NamePool, start: number, count: number, recent: RecentFolders) {
    this.#files = files;
    this.#rel = rel;
    this.#pool = pool;
    this.#start = start;
    this.#count = count;
    this.#recent = recent;
  }

  get record(): HostRecord | undefined {
    const folder = this.#folder();
    if (folder.recordRead !== true) {
      folder.record = this.#readRecord();
      folder.recordRead = true;
    }
    return folder.record;
  }

  get files(): ReadonlyMap<string, string> {
    const folder = this.#folder();
    // Synchronous and streamed: thousands of small files, one read each, no promise per file.
    folder.files ??= new Map(
      Array.from({ length: this.#count }, (_, i) => {
        const name = this.#pool.nameAt(this.#start + i);
        const file = `${this.#rel}/${name}.age`;
        return [name, this.#files.digestSync(file) ?? disappeared(file)];
      }),
    );
    return folder.files;
  }

  #folder(): ScannedFolder {
    return this.#recent.of(this, this.#count);
  }

  #readRecord(): HostRecord | undefined {
    const rel = `${this.#rel}/${PROVENANCE_FILE}`;
    const bytes = this.#files.readSync(rel);
    if (bytes === null) return undefined;
    const record = parseHostRecord(rel, Buffer.from(bytes).toString("utf8"));
    const host = this.#rel.slice(this.#rel.lastIndexOf("/") + 1);
    if (record.host !== host) {
      throw new RekeyError("BAD_SOURCE", `${rel} names host '${record.host}' but sits in the folder of '${host}'`, { file: rel, hint: "Restore it from git." });
    }
    return record;
  }
}

/**
 * Reads a repo file, refusing a symlink that leaves the repository. Synchronously: apply
 * reads a hundred sources in a row, and a thread-pool round trip per open, fstat, read and
 * close took ~25 ms for W1's sources against ~3 ms this way.
 */
export function readRepoFile(root: string, rel: string): Uint8Array {
  const path = resolveInside(root, rel);
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new RekeyError("IO", `cannot read ${rel}: ${(e as Error).message}`, { file: rel, cause: e });
  }
}

async function readOptional(files: RepoFiles, rel: string): Promise<string | null> {
  const bytes = await files.read(rel);
  return bytes === null ? null : Buffer.from(bytes).toString("utf8");
}

async function readExisting(files: RepoFiles, rel: string): Promise<Uint8Array> {
  return (await files.read(rel)) ?? disappeared(rel);
}

function disappeared(rel: string): never {
  throw new RekeyError("IO", `cannot read ${rel}: it disappeared while rekey was reading`, { file: rel, hint: "Run the command again." });
}

/** Maps with at most `limit` promises in flight; keeps order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** A digest of everything a plan depends on, in a canonical order. */
export function fingerprintState(state: RepoState, masterRecipients: readonly string[]): string {
  const hash = createHash("sha256");
  const put = (...parts: string[]) => hash.update(parts.join("\u0000") + "\u0001");
  put("master", ...masterRecipients);
  for (const h of state.hosts) {
    put("host", h.name, h.recipient);
    for (const s of h.secrets) put("secret", s.name, JSON.stringify([s.generator ?? null, s.dependencies, s.intermediary]));
  }
  for (const [n, d] of state.sources) put("source", n, d);
  for (const [n, r] of [...state.sourceRecords].sort((a, b) => compare(a[0], b[0]))) put("record", n, JSON.stringify(r));
  for (const [host, o] of state.outputs) {
    put("outputs", host);
    for (const [n, r] of [...(o.record?.outputs ?? [])].sort((a, b) => compare(a[0], b[0]))) put("rec", n, r.source, r.output, r.recipient);
    for (const [n, d] of o.files) put("file", n, d);
  }
  return hash.digest("hex");
}
