/**
 * Encryption jobs: one output, a secret's plaintext to one host recipient. Shared by the
 * worker threads and the in-process path, so both produce the same files.
 */
import { createHash } from "node:crypto";
import type { StanzaMode } from "../core/model.js";
import { encrypt, encryptTo, parseRecipient, type RekeyRecipient } from "../crypto/index.js";
import { openTempFile } from "../store/atomic.js";

/** One output to encrypt. */
export interface EncryptJob {
  readonly secret: string;
  /** The host's recipient text (`age1...` or `ssh-ed25519 AAAA...`). */
  readonly recipient: string;
  readonly stanza: StanzaMode;
  /**
   * The temp file (named by the store's prepareFiles) to write the output to, here, so that
   * creating thousands of files is spread over the workers too. Absent: return the bytes.
   */
  readonly tmp?: string;
}

/** What a job produced: the SHA-256 (hex) of the output, and its bytes unless written to `tmp`. */
export interface EncryptResult {
  readonly digest: string;
  readonly bytes?: Uint8Array;
  /** The errno code (e.g. "ENOSPC") when writing the temp file failed; the caller names the file. */
  readonly writeError?: string;
}

/** Messages from the pool to a worker. */
export type PoolRequest =
  | { readonly type: "plaintexts"; readonly entries: readonly [string, Uint8Array][] }
  | { readonly type: "jobs"; readonly id: number; readonly jobs: readonly EncryptJob[] }
  | { readonly type: "close" };

const recipients = new Map<string, RekeyRecipient>();
/** Recipients kept parsed; jobs come host by host, so a small cache serves a fleet of any size. */
const RECIPIENTS_KEPT = 1024;
const FLUSH_BYTES = 1024 * 1024;

function recipientOf(job: EncryptJob): RekeyRecipient {
  const key = `${job.stanza} ${job.recipient}`;
  let r = recipients.get(key);
  if (r === undefined) {
    // Parsing precomputes the per-recipient constants (point, tweak, tag): once per host.
    r = parseRecipient(job.recipient, { stanza: job.stanza });
    if (recipients.size >= RECIPIENTS_KEPT) recipients.clear();
    recipients.set(key, r);
  }
  return r;
}

/** Encrypts each job's plaintext to its recipient, in order, writing it to the job's temp file if it has one. */
export async function encryptJobs(jobs: readonly EncryptJob[], plaintexts: ReadonlyMap<string, Uint8Array>): Promise<EncryptResult[]> {
  const out: EncryptResult[] = [];
  for (const job of jobs) {
    const plaintext = plaintexts.get(job.secret);
    if (plaintext === undefined) throw new Error(`no plaintext for ${job.secret} in this worker`);
    if (job.tmp === undefined) {
      const bytes = await encrypt(plaintext, [recipientOf(job)]);
      out.push({ digest: createHash("sha256").update(bytes).digest("hex"), bytes });
      continue;
    }
    // Streamed to the temp file chunk by chunk: a large secret is never held whole per output.
    const hash = createHash("sha256");
    try {
      const file = openTempFile(job.tmp, 0o644);
      // Pieces are gathered up to 1 MiB per write: a small output costs one write call.
      const pending: Uint8Array[] = [];
      let size = 0;
      const flush = () => {
        if (pending.length > 0) file.write(pending.length === 1 ? pending[0]! : Buffer.concat(pending));
        pending.length = 0;
        size = 0;
      };
      try {
        await encryptTo(plaintext, [recipientOf(job)], (piece) => {
          hash.update(piece);
          pending.push(piece);
          size += piece.length;
          if (size >= FLUSH_BYTES) flush();
        });
        flush();
      } finally {
        file.close();
      }
      out.push({ digest: hash.digest("hex") });
    } catch (e) {
      // Reported, not thrown: a worker's error loses its code, and results must stay one per job.
      const code = (e as NodeJS.ErrnoException).code;
      if (code === undefined) throw e;
      out.push({ digest: "", writeError: code });
    }
  }
  return out;
}
