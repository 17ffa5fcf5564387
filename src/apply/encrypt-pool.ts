/**
 * Spreads encryption over one thread per core: this (main) thread, which is otherwise idle
 * while outputs are encrypted, and a worker thread for each other core, all taking batches
 * from one queue. Small runs stay in process: a worker costs tens of milliseconds to start,
 * more than a few hundred encryptions.
 */
import type { Worker } from "node:worker_threads";
import type { StanzaMode } from "../core/model.js";
import type { RekeyRecipient } from "../crypto/recipients.js";
import { encryptJobs, keepBounded, localRecipient, recipientSpec, type EncryptJob, type EncryptResult, type PoolRequest, type RecipientSpec } from "./encrypt-jobs.js";
import { adoptWorkers, discardPrestarted, earlyFailure, workerCount, workersPossible } from "./workers.js";

/** Below this many jobs, encryption runs in process. */
export const POOL_THRESHOLD = 400;
/** Jobs per batch: a batch is what this thread encrypts between answering the workers. */
const BATCH = 64;
/** Batches a worker holds at a time, so that it never waits while this thread is busy. */
const HELD = 4;
/** How long the workers may stay silent with work pending before the run fails. */
const STALL_MS = 300_000;

/** One output for {@link EncryptPool.encryptMany}: a secret to a host's parsed recipient. */
export interface OutputJob {
  readonly secret: string;
  readonly recipient: RekeyRecipient;
  /** The host's stanza setting, for recipients a worker has to parse again. */
  readonly stanza: StanzaMode;
  /** The temp file to write the output to (see {@link EncryptJob.tmp}). */
  readonly tmp: string;
}

/** Encrypts jobs against the plaintexts it was given. */
export interface EncryptPool {
  /** Hands the run's plaintexts to the pool; call once, before {@link encryptMany}. */
  load(plaintexts: ReadonlyMap<string, Uint8Array>): void;
  encryptMany(jobs: readonly OutputJob[]): Promise<EncryptResult[]>;
  /** Stops the workers; they overwrite their plaintext copies first. */
  close(): Promise<void>;
}

/** Options of {@link createEncryptPool}. */
export interface PoolOptions {
  /** How many jobs the run will have in all; decides whether workers are worth starting. */
  readonly expectedJobs: number;
  /** Encrypting threads, this one included; default one per core. REKEY_THREADS overrides. */
  readonly threads?: number;
}

/**
 * Creates a pool, in workers when the run is large enough. The workers start at once (or
 * were started by prestartWorkers, workers.ts), so that they load their code while this thread
 * decrypts the sources; {@link EncryptPool.load} then gives them the plaintexts.
 */
export function createEncryptPool(options: PoolOptions): EncryptPool {
  const threads = options.threads ?? workerCount();
  // From the TypeScript sources (tests) there is no compiled worker script: stay in process.
  if (options.expectedJobs < POOL_THRESHOLD || !workersPossible(threads)) {
    void discardPrestarted();
    let plaintexts: ReadonlyMap<string, Uint8Array> = new Map();
    return {
      load: (p) => void (plaintexts = p),
      encryptMany: (jobs) => encryptJobs(jobs.map((j, i) => ({ secret: j.secret, recipient: i, tmp: j.tmp })), plaintexts, (i) => localRecipient(jobs[i]!.recipient)),
      close: () => Promise.resolve(),
    };
  }
  // This thread encrypts too: one worker per other core.
  return new WorkerPool(adoptWorkers(threads - 1));
}

/** A batch of jobs waiting for a thread, and the promise of its results. */
interface Batch {
  readonly jobs: readonly EncryptJob[];
  /** The specs of the recipients the jobs use, for a worker. */
  readonly recipients: readonly [number, RecipientSpec][];
  /** The same recipients, for this thread (see {@link WorkerPool.encryptHere}). */
  readonly locals: ReadonlyMap<number, InUse>;
  readonly resolve: (r: EncryptResult[]) => void;
  readonly reject: (e: Error) => void;
}

/** A recipient in use: its index in the workers' tables and the spec they build it from. */
interface InUse {
  readonly recipient: RekeyRecipient;
  readonly index: number;
  readonly spec: RecipientSpec;
}

/** A worker and the batches it holds (sent, not answered yet). */
interface PoolWorker {
  readonly worker: Worker;
  readonly holding: Map<number, Batch>;
}

class WorkerPool implements EncryptPool {
  private readonly workers: PoolWorker[] = [];
  /** Batches not handed to a thread yet, in order: the earliest chunk is finished first. */
  private readonly queue: Batch[] = [];
  private nextId = 0;
  private failure: Error | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private lastAnswer = 0;
  private localScheduled = false;
  private plaintexts: ReadonlyMap<string, Uint8Array> = new Map();
  /**
   * The recipients of the last jobs, with their index in the workers' tables and their spec
   * (an ssh-ed25519 spec costs a multiplication, made once per host while it is in use).
   * Bounded like the workers' wraps (see keepBounded), as jobs come host by host: a table of
   * every recipient of the run would grow with the fleet. An index is never given twice, so a
   * recipient met again after the table was emptied gets a new one, and its spec with it.
   */
  private readonly recipients = new Map<RekeyRecipient, InUse>();
  private nextIndex = 0;

  constructor(workers: readonly Worker[]) {
    for (const worker of workers) {
      const entry: PoolWorker = { worker, holding: new Map() };
      worker.on("message", (msg: { id: number; results?: EncryptResult[]; error?: string }) => this.settle(entry, msg));
      worker.on("error", (e) => this.fail(e));
      worker.on("exit", (code) => {
        if (entry.holding.size > 0) this.fail(new Error(`an encryption worker exited (code ${code}) with work pending`));
      });
      this.workers.push(entry);
      // A prestarted worker that already failed or exited fails the pool now, not at the watchdog.
      const failure = earlyFailure(worker);
      if (failure !== undefined) this.fail(failure);
    }
  }

  load(plaintexts: ReadonlyMap<string, Uint8Array>): void {
    this.plaintexts = plaintexts;
    const entries = [...plaintexts.entries()];
    for (const { worker } of this.workers) worker.postMessage({ type: "plaintexts", entries } satisfies PoolRequest);
  }

  async encryptMany(jobs: readonly OutputJob[]): Promise<EncryptResult[]> {
    if (this.failure !== undefined) throw this.failure;
    const inUse = new Map<number, InUse>();
    const wire = jobs.map((j): EncryptJob => {
      const known =
        this.recipients.get(j.recipient) ??
        keepBounded(this.recipients, j.recipient, { recipient: j.recipient, index: this.nextIndex++, spec: recipientSpec(j.recipient, j.stanza) });
      inUse.set(known.index, known);
      return { secret: j.secret, recipient: known.index, tmp: j.tmp };
    });
    const batches: Promise<EncryptResult[]>[] = [];
    for (let i = 0; i < wire.length; i += BATCH) {
      const slice = wire.slice(i, i + BATCH);
      const locals = new Map(slice.map((j) => [j.recipient, inUse.get(j.recipient)!]));
      const recipients = [...locals.values()].map(({ index, spec }): [number, RecipientSpec] => [index, spec]);
      batches.push(new Promise((resolve, reject) => this.queue.push({ jobs: slice, recipients, locals, resolve, reject })));
    }
    this.watch();
    this.dispatch();
    return (await Promise.all(batches)).flat();
  }

  /**
   * Hands queued batches to the workers, up to {@link HELD} each, so that a worker never
   * waits for this thread; and, while batches remain, has this thread take one too between
   * its own tasks (it is idle most of a run, and a thread per core is one worker fewer to
   * start and warm up). Near the end of the queue a worker gets no more batches than are left
   * for the others: holding four while this thread had none left made this thread idle for
   * the last ~30 ms of a full apply.
   */
  private dispatch(): void {
    for (const entry of this.workers) {
      while (entry.holding.size < HELD && this.queue.length > entry.holding.size) {
        const batch = this.queue.shift()!;
        const id = this.nextId++;
        entry.holding.set(id, batch);
        entry.worker.postMessage({ type: "jobs", id, jobs: batch.jobs, recipients: batch.recipients } satisfies PoolRequest);
      }
    }
    if (this.queue.length > 0 && !this.localScheduled) {
      this.localScheduled = true;
      // setImmediate, not a microtask: the workers' answers and the caller's commits run in between.
      setImmediate(() => void this.encryptHere());
    }
  }

  /** Encrypts the next queued batch on this thread. */
  private async encryptHere(): Promise<void> {
    this.localScheduled = false;
    const batch = this.queue.shift();
    if (batch === undefined) return;
    try {
      batch.resolve(
        await encryptJobs(batch.jobs, this.plaintexts, (i) => {
          const { recipient, spec } = batch.locals.get(i)!;
          return localRecipient(recipient, spec);
        }),
      );
    } catch (e) {
      batch.reject(e instanceof Error ? e : new Error(String(e)));
    }
    this.dispatch();
  }

  /**
   * A watchdog: a run must never hang silently. If work is pending and no worker has
   * answered for {@link STALL_MS}, the run fails (as a bug: nothing is renamed into place).
   */
  private watch(): void {
    this.lastAnswer = Date.now();
    if (this.watchdog !== undefined) return;
    this.watchdog = setInterval(() => {
      if (this.pending() === 0) {
        clearInterval(this.watchdog);
        this.watchdog = undefined;
      } else if (Date.now() - this.lastAnswer > STALL_MS) {
        this.fail(new Error(`encryption workers stalled: no answer for ${STALL_MS / 1000} s with ${this.pending()} batches pending`));
      }
    }, 1000);
    this.watchdog.unref();
  }

  private settle(entry: PoolWorker, msg: { id: number; results?: EncryptResult[]; error?: string }): void {
    this.lastAnswer = Date.now();
    const batch = entry.holding.get(msg.id);
    if (batch === undefined) return;
    entry.holding.delete(msg.id);
    if (msg.error !== undefined) batch.reject(new Error(`encryption worker failed: ${msg.error}`));
    else batch.resolve(msg.results!);
    this.dispatch();
  }

  private pending(): number {
    return this.queue.length + this.workers.reduce((n, w) => n + w.holding.size, 0);
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const batch of this.queue.splice(0)) batch.reject(e);
    for (const entry of this.workers) {
      for (const batch of entry.holding.values()) batch.reject(e);
      entry.holding.clear();
    }
  }

  async close(): Promise<void> {
    clearInterval(this.watchdog);
    // Ask each worker to overwrite its plaintexts and exit; terminate only a worker that hangs.
    await Promise.all(
      this.workers.map(
        ({ worker: w }) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => void w.terminate().then(() => resolve()), 2000);
            w.once("exit", () => {
              clearTimeout(timer);
              resolve();
            });
            w.postMessage({ type: "close" } satisfies PoolRequest);
          }),
      ),
    );
  }
}
