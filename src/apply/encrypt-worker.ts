/**
 * A worker thread of the encryption pool: holds the plaintexts of one run in memory, and the
 * wraps of the recipients it encrypted to last, and encrypts batches of (secret, recipient)
 * jobs, each batch bringing its recipients' specs. Plaintexts are overwritten on "close".
 *
 * A worker is started while the main thread is still reading and planning the repository
 * (see prestartWorkers), and would wait there for its first message. It makes ephemeral keys
 * for its first outputs meanwhile, a few at a time, so that the message is answered at once.
 */
import { parentPort } from "node:worker_threads";
import { dropEphemeralKeys, reserveEphemeralKeys } from "../crypto/primitives.js";
import { encryptJobs, RecipientTable, type PoolRequest } from "./encrypt-jobs.js";

/**
 * At most this many ephemeral keys made ahead (~2 KiB of native memory each): about what a
 * worker makes in the ~200 ms a full apply takes to plan, a fifth of a 10,000-output run.
 */
const RESERVE_MAX = 4_096;
/** Keys made between two looks at the message queue: ~1.5 ms of work. */
const RESERVE_STEP = 32;

const plaintexts = new Map<string, Uint8Array>();
const recipients = new RecipientTable();
const port = parentPort!;
let waiting = true;

const reserveWhileWaiting = (): void => {
  if (waiting && reserveEphemeralKeys(RESERVE_STEP, RESERVE_MAX) < RESERVE_MAX) setImmediate(reserveWhileWaiting);
};
setImmediate(reserveWhileWaiting);

port.on("message", (msg: PoolRequest) => {
  waiting = false;
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
      const specs = new Map(msg.recipients); // this batch's recipients, kept only while it runs
      // Results are copied, not transferred: a transfer list must not name one buffer twice,
      // and a few kilobytes per output cost less to copy than a failed run to diagnose.
      encryptJobs(msg.jobs, plaintexts, (index) => recipients.get(index, specs))
        .then((results) => port.postMessage({ id: msg.id, results }))
        .catch((e: unknown) => port.postMessage({ id: msg.id, error: e instanceof Error ? e.message : String(e) }));
    }
  }
});
