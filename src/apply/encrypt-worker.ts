/**
 * A worker thread of the encryption pool: holds the plaintexts of one run in memory, and the
 * wraps of the recipients it encrypted to last, and encrypts batches of (secret, recipient)
 * jobs, each batch bringing its recipients' specs. Plaintexts are overwritten on "close".
 *
 * A worker is started while the main thread is still reading and planning the repository
 * (see prestartWorkers), and would wait there for its first jobs. It makes ephemeral keys
 * for its first outputs meanwhile, a few at a time, so that a message is answered at once.
 */
import { parentPort } from "node:worker_threads";
import { dropEphemeralKeys, reserveEphemeralKeys } from "../crypto/primitives.js";
import { encryptJobs, RecipientTable, type PoolRequest } from "./encrypt-jobs.js";
import { collectGarbage } from "./heap.js";

/**
 * At most this many ephemeral keys made ahead (~2 KiB of native memory each, ~9 MiB in all):
 * more than a worker makes between its start and its first jobs in a 10,000-output apply
 * (1,760 to 2,464 measured in 3 runs, ~0.1 s of work), a bound for an apply that waits for
 * the lock.
 */
const RESERVE_MAX = 4_096;
/** Keys made between two looks at the message queue: ~1.5 ms of work. */
const RESERVE_STEP = 32;

/**
 * Outputs between two full garbage collections. Each output leaves native objects behind
 * (key objects, HMAC and cipher contexts), freed only when V8 collects their small JavaScript
 * wrappers; those that reach the old generation wait for a full collection, which V8, seeing
 * only the wrappers, starts late. W2 (200,000 outputs) grew by ~50 MiB of native memory
 * without these collections, and stayed flat with them, for the same time; a 10,000-output
 * apply gives a worker fewer outputs than this and never collects.
 */
const OUTPUTS_PER_COLLECTION = 8_192;
/**
 * Recipients built between two full collections, whatever the outputs: each leaves a wrap
 * and its key object (~1 KiB of native memory) to a full collection once the table lets it
 * go, so a fleet of many hosts with a few outputs each is collected by hosts, not outputs.
 */
const WRAPS_PER_COLLECTION = 512;

const plaintexts = new Map<string, Uint8Array>();
const recipients = new RecipientTable();
const port = parentPort!;
let waiting = true;
let sinceCollection = 0;
let buildsAtCollection = 0;

const reserveWhileWaiting = (): void => {
  if (waiting && reserveEphemeralKeys(RESERVE_STEP, RESERVE_MAX) < RESERVE_MAX) setImmediate(reserveWhileWaiting);
};
setImmediate(reserveWhileWaiting);

port.on("message", (msg: PoolRequest) => {
  // The plaintexts come a few tens of milliseconds before the first jobs (the main thread
  // plans and names the temp files in between): keep making keys until there is work.
  if (msg.type !== "plaintexts") waiting = false;
  switch (msg.type) {
    case "plaintexts":
      for (const [name, bytes] of msg.entries) plaintexts.set(name, bytes);
      return;
    case "close":
      for (const p of plaintexts.values()) p.fill(0);
      plaintexts.clear();
      recipients.clear();
      dropEphemeralKeys();
      port.close();
      return;
    case "jobs": {
      sinceCollection += msg.jobs.length;
      if (sinceCollection >= OUTPUTS_PER_COLLECTION || recipients.builds - buildsAtCollection >= WRAPS_PER_COLLECTION) {
        sinceCollection = 0;
        buildsAtCollection = recipients.builds;
        collectGarbage();
      }
      const specs = new Map(msg.recipients); // this batch's recipients, kept only while it runs
      // Results are copied, not transferred: a transfer list must not name one buffer twice,
      // and a few kilobytes per output cost less to copy than a failed run to diagnose.
      encryptJobs(msg.jobs, plaintexts, (index) => recipients.get(index, specs))
        .then((results) => port.postMessage({ id: msg.id, results }))
        .catch((e: unknown) => port.postMessage({ id: msg.id, error: e instanceof Error ? e.message : String(e) }));
    }
  }
});
