/**
 * Encryption jobs: one output, a secret's plaintext to one host recipient. Shared by the
 * worker threads and the in-process path, so both produce the same files.
 */
import type { StanzaMode } from "../core/model.js";
import { encrypt, parseRecipient, type RekeyRecipient } from "../crypto/index.js";

/** One output to encrypt. */
export interface EncryptJob {
  readonly secret: string;
  /** The host's recipient text (`age1...` or `ssh-ed25519 AAAA...`). */
  readonly recipient: string;
  readonly stanza: StanzaMode;
}

/** Messages from the pool to a worker. */
export type PoolRequest =
  | { readonly type: "plaintexts"; readonly entries: readonly [string, Uint8Array][] }
  | { readonly type: "jobs"; readonly id: number; readonly jobs: readonly EncryptJob[] }
  | { readonly type: "close" };

const recipients = new Map<string, RekeyRecipient>();

function recipientOf(job: EncryptJob): RekeyRecipient {
  const key = `${job.stanza} ${job.recipient}`;
  let r = recipients.get(key);
  if (r === undefined) {
    // Parsing precomputes the per-recipient constants (point, tweak, tag): once per host.
    r = parseRecipient(job.recipient, { stanza: job.stanza });
    recipients.set(key, r);
  }
  return r;
}

/** Encrypts each job's plaintext to its recipient, in order. */
export async function encryptJobs(jobs: readonly EncryptJob[], plaintexts: ReadonlyMap<string, Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (const job of jobs) {
    const plaintext = plaintexts.get(job.secret);
    if (plaintext === undefined) throw new Error(`no plaintext for ${job.secret} in this worker`);
    out.push(await encrypt(plaintext, [recipientOf(job)]));
  }
  return out;
}
