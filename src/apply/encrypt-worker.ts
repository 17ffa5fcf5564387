/**
 * A worker thread of the encryption pool: holds the plaintexts of one run in memory and
 * encrypts batches of (secret, recipient) jobs. Plaintexts are overwritten on "close".
 */
import { parentPort } from "node:worker_threads";
import { encryptJobs, type PoolRequest } from "./encrypt-jobs.js";

const plaintexts = new Map<string, Uint8Array>();
const port = parentPort!;

port.on("message", (msg: PoolRequest) => {
  if (msg.type === "plaintexts") {
    for (const [name, bytes] of msg.entries) plaintexts.set(name, bytes);
    return;
  }
  if (msg.type === "close") {
    for (const p of plaintexts.values()) p.fill(0);
    plaintexts.clear();
    port.close();
    return;
  }
  // Results are copied, not transferred: a transfer list must not name one buffer twice,
  // and a few kilobytes per output cost less to copy than a failed run to diagnose.
  encryptJobs(msg.jobs, plaintexts)
    .then((results) => port.postMessage({ id: msg.id, results }))
    .catch((e: unknown) => port.postMessage({ id: msg.id, error: e instanceof Error ? e.message : String(e) }));
});
