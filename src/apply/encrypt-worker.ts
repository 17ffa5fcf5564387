/**
 * A worker thread of the encryption pool: holds the plaintexts of one run in memory, and the
 * wraps of the recipients it encrypted to last, and encrypts batches of (secret, recipient)
 * jobs, each batch bringing its recipients' specs. Plaintexts are overwritten on "close".
 */
import { parentPort } from "node:worker_threads";
import { encryptJobs, RecipientTable, type PoolRequest } from "./encrypt-jobs.js";

const plaintexts = new Map<string, Uint8Array>();
const recipients = new RecipientTable();
const port = parentPort!;

port.on("message", (msg: PoolRequest) => {
  switch (msg.type) {
    case "plaintexts":
      for (const [name, bytes] of msg.entries) plaintexts.set(name, bytes);
      return;
    case "close":
      for (const p of plaintexts.values()) p.fill(0);
      plaintexts.clear();
      recipients.clear();
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
