/**
 * Starting the encryption workers, apart from the pool (encrypt-pool.ts) so that the CLI can
 * start them before it loads any of the code of `apply`: this module imports only Node's.
 */
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";

/** The old-generation limit of a worker's V8 heap. */
const WORKER_HEAP_MB = 96;
/**
 * The young-generation limit of a worker's V8 heap: semi-spaces of 2 MiB (V8 counts three of
 * them), as the main thread's ("#!" line of bin/rekey.js). Unbounded, V8 doubled them to 8 MiB
 * some 100,000 outputs into a longer run, and the peak memory of W2 (200,000 outputs) with
 * them, by ~8 MiB, for no measurable speed (W1 full apply 1.635 s both ways, 10 interleaved
 * rounds). A run's garbage dies young: with 2 MiB on both threads rather than 4, W1's peak
 * went from 98.7 to 92.7 MiB and W2's from 109 to 99 MiB, in the same time (W1 1.79 s against
 * 1.69 s in 6 interleaved rounds, within this VM's noise; W2 26.2 s against 27.2 s, 2 rounds).
 * 1 MiB saved ~4 MiB more, for ~15 ms more of this thread's garbage collection in W1.
 */
const WORKER_YOUNG_MB = 6;

const WORKER_SCRIPT = fileURLToPath(new URL("./encrypt-worker.js", import.meta.url));

/** Encrypting threads, the main one included: one per core, or REKEY_THREADS. */
export function workerCount(): number {
  const fromEnv = Number(process.env.REKEY_THREADS);
  return Number.isInteger(fromEnv) && fromEnv >= 1 ? fromEnv : availableParallelism();
}

/** Whether `threads` leaves room for a worker, and there is a compiled worker script to run. */
export function workersPossible(threads: number): boolean {
  return threads >= 2 && existsSync(WORKER_SCRIPT);
}

/** Workers started by {@link prestartWorkers}, waiting for a pool to adopt them. */
let prestarted: Worker[] = [];

/**
 * Starts the encryption workers ahead of the pool, as the process starts: a worker takes
 * ~50 ms to boot, and then makes ephemeral keys (see encrypt-worker.ts) while this thread
 * loads, reads and plans the repository, instead of delaying the first encryptions. The next
 * pool adopts them ({@link adoptWorkers}), or stops them if its run is too small;
 * {@link discardPrestarted} stops them when no pool follows.
 */
export function prestartWorkers(threads = workerCount()): void {
  if (prestarted.length > 0 || !workersPossible(threads)) return;
  for (let i = 0; i < threads - 1; i++) prestarted.push(startWorker());
}

/** `count` workers: the prestarted ones first, then new ones; stops any prestarted worker left over. */
export function adoptWorkers(count: number): Worker[] {
  const adopted = prestarted.splice(0, count);
  void discardPrestarted();
  while (adopted.length < count) adopted.push(startWorker());
  return adopted;
}

/** Stops the workers {@link prestartWorkers} started, if no pool adopted them. */
export function discardPrestarted(): Promise<void> {
  const workers = prestarted;
  prestarted = [];
  return Promise.all(workers.map((w) => w.terminate())).then(() => undefined);
}

/** What happened to a worker before a pool listened to it: an error, or its exit. */
const early = new WeakMap<Worker, Error>();

/** Why `worker` failed before a pool listened to it, if it did. */
export function earlyFailure(worker: Worker): Error | undefined {
  return early.get(worker);
}

function startWorker(): Worker {
  // A worker holds the plaintexts (outside the V8 heap), a few hundred parsed recipients
  // and a few batches of jobs; a small old generation makes it collect its garbage early
  // instead of growing with the run, so memory stays flat on large fleets.
  const worker = new Worker(WORKER_SCRIPT, { resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB, maxYoungGenerationSizeMb: WORKER_YOUNG_MB } });
  worker.once("error", (e) => void (early.has(worker) || early.set(worker, e)));
  worker.once("exit", (code) => void (early.has(worker) || early.set(worker, new Error(`an encryption worker exited (code ${code}) before it was given work`))));
  return worker;
}
