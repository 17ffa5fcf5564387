/**
 * Carries out a plan: generates first, then rekeys, then removes orphans (SPEC.md).
 *
 * Each source is decrypted at most once per run, however many hosts receive it, and every
 * source the run needs is decrypted before anything is written, so a bad source (plaintext,
 * truncated, wrong master key) stops the run with nothing written. Outputs are written
 * atomically, then each host's provenance record.
 */
import type { Identity } from "age-encryption";
import { RekeyError } from "../core/errors.js";
import type { HostRecord, OutputRecord } from "../core/model.js";
import { Tally, type Action, type Plan, type PlanSummary } from "../core/plan.js";
import { NameTable } from "../core/names.js";
import { compare, planActions, type PlanFilter } from "../core/planner.js";
import { decryptMany } from "../crypto/index.js";
import { prepareFiles, removeFile, stageFiles, writeFailure, type PreparedFiles } from "../store/atomic.js";
import { PROVENANCE_FILE, renderHostRecord } from "../store/provenance.js";
import { loadState, outputPath, readRepoFile, sha256Hex, sourcePath, type LoadedState } from "../store/state.js";
import { createEncryptPool, type EncryptPool } from "./encrypt-pool.js";
import { collectGarbage } from "./heap.js";
import type { EncryptResult } from "./encrypt-jobs.js";
import type { Reporter } from "./events.js";

/** What apply needs from outside. */
export interface ApplyPorts {
  readonly identities: readonly Identity[];
  readonly reporter: Reporter;
  /** Runs the generate and regenerate actions (the generate module); absent, they are an error. */
  readonly generate?: (loaded: LoadedState, actions: readonly Action[]) => Promise<void>;
}

/** What a run did: how many outputs it wrote and removed, and how many sources it decrypted. */
export interface ApplyResult {
  readonly written: number;
  readonly removed: number;
  readonly decrypted: number;
}

/**
 * What apply carries out, taken from a plan: its generation and removals as they are, and
 * its rekeys by host in a {@link RekeyList}. A caller that holds no reference to the plan
 * afterwards lets its action objects go before the run starts.
 */
export interface ApplyWork {
  readonly summary: PlanSummary;
  readonly generation: readonly Action[];
  readonly rekeys: RekeyList;
  readonly removals: readonly Action[];
}

/** The work of `plan`; see {@link ApplyWork}. */
export function workOf(plan: Plan): ApplyWork {
  const gatherer = new WorkGatherer();
  for (const a of plan.actions) gatherer.add(a);
  return gatherer.finish();
}

/**
 * Gathers apply's work from a plan's actions as they come (see planActions), keeping the
 * generation and removals as they are and each rekey as a few bytes in a {@link RekeyList}.
 */
export class WorkGatherer {
  readonly #generation: Action[] = [];
  readonly #removals: Action[] = [];
  readonly #rekeys = new RekeyList();
  readonly #tally = new Tally();

  add(a: Action): void {
    this.#tally.add(a);
    if (a.action === "generate" || a.action === "regenerate") this.#generation.push(a);
    else if (a.action === "remove") this.#removals.push(a);
    else this.#rekeys.add(a.host!, a.secret, a.action);
  }

  /**
   * `actions` as they are, each gathered as it is taken. A full garbage collection every
   * {@link PLAN_COLLECTION} actions: printing a fleet's plan to a pipe makes (and drops) an
   * object and a string per action at the reader's pace, and V8 let that garbage pile up in
   * the old generation (W2 piped to a Node reader: old space 45 MiB at the plan's end, 19 MiB
   * live).
   */
  *tap(actions: Iterable<Action>): Generator<Action, void, undefined> {
    let sinceCollection = 0;
    for (const a of actions) {
      this.add(a);
      yield a;
      if (++sinceCollection === PLAN_COLLECTION) {
        sinceCollection = 0;
        collectGarbage();
      }
    }
  }

  /** The work gathered; call once. */
  finish(): ApplyWork {
    return { summary: this.#tally.summary(), generation: this.#generation, rekeys: this.#rekeys.inHostOrder(), removals: this.#removals };
  }
}

/** Actions between two full garbage collections while a plan is printed (see WorkGatherer.tap). */
const PLAN_COLLECTION = 25_000;

/** Whether `work` has nothing to do. */
export function isEmptyWork(work: ApplyWork): boolean {
  return work.generation.length === 0 && work.rekeys.length === 0 && work.removals.length === 0;
}

/** Carries out `plan` (computed from `loaded` with `filter`). */
export async function applyPlan(loaded: LoadedState, plan: Plan, filter: PlanFilter, ports: ApplyPorts): Promise<ApplyResult> {
  return await applyWork(loaded, workOf(plan), filter, ports);
}

/** Carries out the work of a plan computed from `loaded` with `filter`; see {@link workOf}. */
export async function applyWork(loaded: LoadedState, work: ApplyWork, filter: PlanFilter, ports: ApplyPorts): Promise<ApplyResult> {
  const started = performance.now();
  const { generation } = work;
  const total = generation.length + work.rekeys.length + work.removals.length;
  ports.reporter.notify({ type: "start", summary: work.summary, total });
  let state = loaded;
  let { rekeys, removals } = work;
  if (generation.length > 0) {
    if (ports.generate === undefined) throw new RekeyError("GENERATOR_FAILED", "this run cannot generate secrets", { hint: "Run `rekey generate` first." });
    await ports.generate(loaded, generation);
    // The sources changed: plan the rekeying again from what is now on disk.
    state = await loadState(loaded.repo);
    const replanned = new WorkGatherer();
    for (const a of planActions(state.state, filter)) if (a.action !== "generate" && a.action !== "regenerate") replanned.add(a);
    ({ rekeys, removals } = replanned.finish());
  }
  // Started first: the workers load their code while the sources are decrypted.
  const pool = createEncryptPool({ expectedJobs: rekeys.length });
  let plaintexts = new Map<string, Uint8Array>();
  try {
    plaintexts = await decryptSources(state, rekeys, ports);
    pool.load(plaintexts);
    const book = new RecordBook(state, new Set(removals.map((a) => a.host!)));
    const written = await writeOutputs(state, rekeys, pool, ports.reporter, book);
    const removed = await removeOutputs(state, removals, ports.reporter, book);
    const summary: PlanSummary = { generate: generation.length, create: rekeys.creates, update: rekeys.length - rekeys.creates, remove: removals.length };
    ports.reporter.notify({ type: "done", summary, elapsed_ms: Math.round(performance.now() - started), decrypted: plaintexts.size, written, removed });
    return { written, removed, decrypted: plaintexts.size };
  } finally {
    await pool.close();
    for (const p of plaintexts.values()) p.fill(0);
  }
}

/** One output to write: a create or an update. */
interface Rekey {
  readonly action: "create" | "update";
  readonly host: string;
  readonly secret: string;
}

/**
 * A plan's rekeys grouped by host, each host's in plan order, in typed arrays: a secret's
 * index in a table of the run's names (2 bytes while there are at most 65,536 names, else 4)
 * and whether it is an update (a bit) per output, so that W2's 200,000 outputs are not
 * 200,000 action objects (~50 bytes each, and 8-byte pointers in Node's heap) for the whole
 * run. {@link chunk} makes the objects of a few hosts at a time.
 */
class RekeyList {
  readonly #names = new NameTable();
  #hosts: readonly string[] = [];
  /** Where each host's outputs end in {@link #secrets}. */
  #ends = new Int32Array(0);
  #secrets: Uint16Array | Int32Array = new Uint16Array(0);
  /** A bit per output: set for an update. */
  #updates = new Uint8Array(0);
  /** The outputs of each host while they are gathered (see {@link add}), until {@link inHostOrder}. */
  #open: Map<string, number[]> | undefined = new Map();
  #creates = 0;

  /** How many outputs; the list must be closed. */
  get length(): number {
    return this.#secrets.length;
  }

  /** How many of the outputs are creates. */
  get creates(): number {
    return this.#creates;
  }

  get hostCount(): number {
    return this.#hosts.length;
  }

  add(host: string, secret: string, action: Rekey["action"]): void {
    const open = this.#open;
    if (open === undefined) throw new Error("internal error: a rekey added after the list was closed");
    const id = this.#names.idOf(secret);
    let outputs = open.get(host);
    if (outputs === undefined) open.set(host, (outputs = []));
    // The name's index, doubled, plus one for an update: one small integer per output here.
    outputs.push(2 * id + (action === "update" ? 1 : 0));
    if (action === "create") this.#creates++;
  }

  /** Closes the list: hosts in code-point order, each host's outputs in the order added. */
  inHostOrder(): this {
    const open = this.#open!;
    this.#open = undefined;
    this.#hosts = [...open.keys()].sort(compare);
    let total = 0;
    for (const outputs of open.values()) total += outputs.length;
    this.#ends = new Int32Array(this.#hosts.length);
    this.#secrets = this.#names.names().length <= 0x10000 ? new Uint16Array(total) : new Int32Array(total);
    this.#updates = new Uint8Array(Math.ceil(total / 8));
    let at = 0;
    this.#hosts.forEach((host, h) => {
      for (const packed of open.get(host)!) {
        this.#secrets[at] = packed >>> 1;
        this.#updates[at >>> 3]! |= (packed & 1) << (at & 7);
        at++;
      }
      this.#ends[h] = at;
    });
    return this;
  }

  /** The distinct secrets. */
  secretNames(): Set<string> {
    return new Set(this.#names.names());
  }

  /** Where host `h`'s outputs start, counted in outputs. */
  startOf(h: number): number {
    return h === 0 ? 0 : this.#ends[h - 1]!;
  }

  /** The outputs of hosts `from` to `to` (exclusive), as objects. */
  chunk(from: number, to: number): Rekey[] {
    const out: Rekey[] = [];
    for (let h = from; h < to; h++) {
      const host = this.#hosts[h]!;
      for (let i = this.startOf(h); i < this.#ends[h]!; i++) {
        const update = (this.#updates[i >>> 3]! >>> (i & 7)) & 1;
        out.push({ action: update === 1 ? "update" : "create", host, secret: this.#names.at(this.#secrets[i]!) });
      }
    }
    return out;
  }
}

async function decryptSources(loaded: LoadedState, rekeys: RekeyList, ports: ApplyPorts): Promise<Map<string, Uint8Array>> {
  const names = [...rekeys.secretNames()].sort(compare);
  for (const name of names) ports.reporter.notify({ type: "decrypt", secret: name });
  return await decryptSourcesNamed(loaded, names, ports.identities);
}

/**
 * Decrypts the named sources in one batch, so a plugin identity opens one session (one PIN
 * or touch) for the whole run. Errors name the file and the fix; on any error, the
 * plaintexts already recovered are overwritten before it is thrown.
 */
export async function decryptSourcesNamed(loaded: LoadedState, names: readonly string[], identities: readonly Identity[]): Promise<Map<string, Uint8Array>> {
  const plaintexts = new Map<string, Uint8Array>();
  if (names.length === 0) return plaintexts;
  const files = names.map((name) => readSource(loaded, name));
  const outcomes = await decryptMany(files, identities);
  try {
    for (const [i, name] of names.entries()) {
      const outcome = outcomes[i]!;
      if ("error" in outcome) throw sourceError(loaded, name, outcome.error);
      plaintexts.set(name, outcome.plaintext);
    }
  } catch (e) {
    for (const o of outcomes) if ("plaintext" in o) o.plaintext.fill(0);
    throw e;
  }
  return plaintexts;
}

function readSource(loaded: LoadedState, name: string): Uint8Array {
  const rel = sourcePath(loaded.repo, name);
  const bytes = readRepoFile(loaded.repo.root, rel);
  if (sha256Hex(bytes) !== loaded.state.sources.get(name)) {
    throw new RekeyError("STALE_PLAN", `${rel} changed while rekey was running`, { file: rel, hint: "Run the command again." });
  }
  return bytes;
}

function sourceError(loaded: LoadedState, name: string, e: RekeyError): RekeyError {
  const rel = sourcePath(loaded.repo, name);
  const hint =
    e.code === "NO_IDENTITY_MATCHED"
      ? `It is not encrypted to a master identity you have. Check REKEY_IDENTITY / master.identities, or re-encrypt it to the master recipients with \`rekey edit ${name}\`.`
      : `Restore ${rel} from git, or recreate it with \`rekey edit ${name}\`.`;
  return new RekeyError(e.code, `${rel}: ${e.message}`, { file: rel, hint, cause: e });
}

/** Decrypts one source with the master identities; errors name the file and the fix. */
export async function decryptSource(loaded: LoadedState, name: string, identities: readonly Identity[]): Promise<Uint8Array> {
  return (await decryptSourcesNamed(loaded, [name], identities)).get(name)!;
}

/**
 * Outputs encrypted and committed per chunk of hosts: at most this many, so that what is in
 * flight (paths, jobs, digests, records) is the same on a fleet of any size, and about a
 * quarter of the run, so that the commit left after the last encryption (syncs, renames,
 * records) is short. W2 (200,000 outputs) on ext4 with 8,192: 33.4 s, 174 MiB; with 2,500:
 * 36.6 s, 157 MiB, against ~130 MiB for 10,000 outputs (one run each).
 */
const CHUNK_OUTPUTS = 2_560;
const CHUNK_MIN = 1_024;
/** Above this many outputs, the heap is collected after each chunk (see heap.ts). */
const LARGE_RUN = 4 * CHUNK_OUTPUTS;
/**
 * The heap is also collected after a chunk once this many hosts were written since the last
 * collection. Each host leaves objects that outlive a young-generation collection (its
 * recipient's wraps and their key objects, ~1 KiB of native memory each, its folder and its
 * record) and then wait for a full one: 10,000 outputs over 2,000 hosts (5 each) peaked at
 * ~105 MiB without it, against ~91 MiB for 10,000 outputs over 200 hosts.
 */
const HOSTS_PER_COLLECTION = 256;
/** Outputs prepared and handed to the workers at a time, within a chunk. */
const DISPATCH_OUTPUTS = 512;

async function writeOutputs(loaded: LoadedState, rekeys: RekeyList, pool: EncryptPool, reporter: Reporter, book: RecordBook): Promise<number> {
  if (rekeys.length === 0) return 0;
  const hosts = new Map(loaded.hosts.map((h) => [h.name, h]));
  const chunkSize = Math.min(CHUNK_OUTPUTS, Math.max(CHUNK_MIN, Math.ceil(rekeys.length / 4)));
  const chunks = hostChunks(rekeys, chunkSize);
  let done = 0;
  let hostsSinceCollection = 0;
  // Each chunk: paths checked and temp files named here, encrypted and written by the
  // workers, then made durable and renamed into place here.
  const inFlight = new Set<PreparedFiles>();
  const encryptChunk = async (chunk: readonly Rekey[]) => {
    // Folders checked and temp files named a few hosts at a time, each part handed to the
    // workers at once, so that encryption starts while the rest is being prepared.
    const batch = prepareFiles(loaded.repo.root, []);
    inFlight.add(batch);
    const parts: Promise<EncryptResult[]>[] = [];
    try {
      for (let at = 0; at < chunk.length; at += DISPATCH_OUTPUTS) {
        const part = chunk.slice(at, at + DISPATCH_OUTPUTS);
        const files = batch.add(part.map((a) => outputPath(loaded.repo, a.host, a.secret)));
        const jobs = part.map((a, i) => {
          const host = hosts.get(a.host)!;
          return { secret: a.secret, recipient: host.recipient, stanza: host.stanza, tmp: files[i]!.tmp };
        });
        parts.push(pool.encryptMany(jobs));
      }
    } catch (e) {
      await Promise.allSettled(parts); // the workers finish what they were given; abort removes it
      throw e;
    }
    return { batch, chunk, results: (await Promise.all(parts)).flat() };
  };
  // Two chunks in flight: the workers always have the next one queued, and encrypt it while
  // this thread commits the current one.
  const queued: ReturnType<typeof encryptChunk>[] = [];
  const enqueue = (index: number) => {
    if (index >= chunks.length) return;
    const p = encryptChunk(chunks.at(index));
    p.catch(() => undefined); // awaited in its round; never an unhandled rejection meanwhile
    queued.push(p);
  };
  try {
    enqueue(0);
    enqueue(1);
    for (let index = 0; index < chunks.length; index++) {
      const { batch, chunk, results } = await queued.shift()!;
      const failed = results.findIndex((r) => r.writeError !== undefined);
      if (failed >= 0) throw writeFailure(results[failed]!.writeError!, batch.files[failed]!.rel);
      enqueue(index + 2);
      chunk.forEach((a, i) => {
        const host = hosts.get(a.host)!;
        const record: OutputRecord = { source: loaded.state.sources.get(a.secret)!, output: results[i]!.digest, recipient: host.recipient.fingerprint };
        book.change(a.host, (outputs) => outputs.set(a.secret, record));
      });
      // Records follow the outputs they describe, once those are durable: staged once the
      // outputs are renamed, made durable by the same sync as the renames, then renamed.
      const records = (await batch.commit({ stageNext: () => book.stage() }))!;
      inFlight.delete(batch);
      await records.commit({ dataDurable: true });
      for (const a of chunk) reporter.notify({ type: "write", action: a.action, host: a.host, secret: a.secret, done: ++done, total: rekeys.length });
      await reporter.drained?.();
      hostsSinceCollection += chunks.hostsIn(index);
      // Not after the last chunk: what is left (removals, records) is small.
      if (index + 1 < chunks.length && (rekeys.length > LARGE_RUN || hostsSinceCollection >= HOSTS_PER_COLLECTION)) {
        collectGarbage();
        hostsSinceCollection = 0;
      }
    }
  } catch (e) {
    // Let the workers finish the chunks in flight, then remove every temp file not renamed.
    await Promise.allSettled(queued);
    for (const batch of inFlight) batch.abort();
    throw e;
  }
  return done;
}

/**
 * The rekeys cut into chunks of whole hosts, each of at least `size` outputs but the last, in
 * host order. A chunk's objects are made when it is asked for, so that only the chunks in
 * flight are held as objects.
 */
function hostChunks(rekeys: RekeyList, size: number): { readonly length: number; at(index: number): Rekey[]; hostsIn(index: number): number } {
  const starts: number[] = [];
  for (let h = 0; h < rekeys.hostCount; h++) {
    if (h === 0 || rekeys.startOf(h) - rekeys.startOf(starts.at(-1)!) >= size) starts.push(h);
  }
  const end = (index: number) => starts[index + 1] ?? rekeys.hostCount;
  return { length: starts.length, at: (index) => rekeys.chunk(starts[index]!, end(index)), hostsIn: (index) => end(index) - starts[index]! };
}

async function removeOutputs(loaded: LoadedState, removals: readonly Action[], reporter: Reporter, book: RecordBook): Promise<number> {
  const byHost = new Map<string, string[]>();
  for (const a of removals) byHost.set(a.host!, [...(byHost.get(a.host!) ?? []), a.secret]);
  let removed = 0;
  const outputDir = loaded.repo.config.paths.output;
  for (const [host, secrets] of [...byHost].sort((a, b) => compare(a[0], b[0]))) {
    for (const secret of secrets) {
      const rel = outputPath(loaded.repo, host, secret);
      await removeFile(loaded.repo.root, rel, `${outputDir}/${host}`);
      removed++;
      reporter.notify({ type: "remove", host, secret });
    }
    book.change(host, (outputs) => {
      for (const s of secrets) outputs.delete(s);
    });
  }
  await book.flush();
  return removed;
}

/**
 * The hosts' provenance records as this run changes them, written in batches by flush().
 * Once written, a host's record is dropped from memory unless a later step changes it again
 * (`revisited`: the hosts that lose orphans after the rekeying), so a run over thousands of
 * hosts holds the records of one chunk at a time.
 */
class RecordBook {
  private readonly records = new Map<string, Map<string, OutputRecord>>();
  private readonly dirty = new Set<string>();
  private readonly dropped = new Set<string>();
  constructor(
    private readonly loaded: LoadedState,
    private readonly revisited: ReadonlySet<string>,
  ) {}

  /** Applies `change` to a host's record in memory. */
  change(host: string, change: (outputs: Map<string, OutputRecord>) => void): void {
    if (this.dropped.has(host)) throw new Error(`internal error: the record of ${host} was changed after it was written and dropped`);
    // Copy before changing: the loaded state stays as it was read.
    const outputs = this.records.get(host) ?? new Map(this.loaded.state.outputs.get(host)?.record?.outputs ?? []);
    this.records.set(host, outputs);
    change(outputs);
    this.dirty.add(host);
  }

  /** Writes the changed records; removes the record of an undeclared host left empty. */
  async flush(): Promise<void> {
    await (await this.stage()).commit();
  }

  /**
   * Writes the changed records to temp files, in place once the returned batch is committed;
   * removes the record of an undeclared host left empty.
   */
  async stage(): Promise<PreparedFiles> {
    const outputDir = this.loaded.repo.config.paths.output;
    const files: { rel: string; data: string }[] = [];
    for (const host of [...this.dirty].sort(compare)) {
      const rel = `${outputDir}/${host}/${PROVENANCE_FILE}`;
      const outputs = this.records.get(host)!;
      if (outputs.size === 0 && !this.loaded.hosts.some((h) => h.name === host)) await removeFile(this.loaded.repo.root, rel, outputDir);
      else files.push({ rel, data: renderHostRecord({ host, outputs } satisfies HostRecord) });
    }
    const staged = stageFiles(this.loaded.repo.root, files);
    for (const host of this.dirty) {
      if (this.revisited.has(host)) continue;
      this.records.delete(host);
      this.dropped.add(host);
    }
    this.dirty.clear();
    return staged;
  }
}
