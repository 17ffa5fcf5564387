/**
 * Encryption jobs: one output, a secret's plaintext to one host recipient. Shared by the
 * worker threads and the in-process path, so both produce the same files.
 */
import { createHash } from "node:crypto";
import type { StanzaMode } from "../core/model.js";
import type { Recipient } from "age-encryption";
import { encrypt, encryptTo } from "../crypto/cipher.js";
import { PointWrap, type WrapTarget } from "../crypto/point-wrap.js";
import type { RekeyRecipient } from "../crypto/recipients.js";
import { openTempFile } from "../store/atomic.js";

/**
 * How a worker learns a recipient: the precomputed wrap parameters of an X25519 or
 * ssh-ed25519 key (the common case: no parsing, no Ed25519 point decoding in the worker), or
 * the recipient text to parse, for the other types.
 */
export type RecipientSpec = { readonly target: WrapTarget } | { readonly text: string; readonly stanza: StanzaMode };

/** One output to encrypt. */
export interface EncryptJob {
  readonly secret: string;
  /** The recipient's index in the run's recipient table (see {@link RecipientTable}). */
  readonly recipient: number;
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
  | { readonly type: "recipients"; readonly entries: readonly [number, RecipientSpec][] }
  | { readonly type: "jobs"; readonly id: number; readonly jobs: readonly EncryptJob[] }
  | { readonly type: "close" };

/** The spec a worker needs for a parsed recipient. */
export function recipientSpec(recipient: RekeyRecipient, stanza: StanzaMode): RecipientSpec {
  const target = recipient.target;
  return target !== undefined ? { target } : { text: recipient.text, stanza };
}

/** Recipients turned back into wraps from their specs, in a worker. */
export class RecipientTable {
  readonly #specs = new Map<number, RecipientSpec>();
  readonly #built = new Map<number, Recipient>();

  add(entries: readonly [number, RecipientSpec][]): void {
    for (const [index, spec] of entries) this.#specs.set(index, spec);
  }

  async get(index: number): Promise<Recipient> {
    let r = this.#built.get(index);
    if (r === undefined) {
      const spec = this.#specs.get(index);
      if (spec === undefined) throw new Error(`no recipient ${index} in this worker`);
      r = "target" in spec ? pointRecipient(new PointWrap(spec.target)) : await parsed(spec);
      // Jobs come host by host, so a bounded cache serves a fleet of any size.
      if (this.#built.size >= RECIPIENTS_KEPT) this.#built.clear();
      this.#built.set(index, r);
    }
    return r;
  }

  clear(): void {
    this.#specs.clear();
    this.#built.clear();
  }
}

function pointRecipient(wrap: PointWrap): Recipient {
  return { wrapFileKey: (fileKey) => [wrap.wrap(fileKey)] };
}

async function parsed(spec: { readonly text: string; readonly stanza: StanzaMode }): Promise<Recipient> {
  // Loaded only for the rarer types (ssh-rsa, post-quantum, plugins): the whole parser is heavy.
  const { parseRecipient } = await import("../crypto/recipients.js");
  return parseRecipient(spec.text, { stanza: spec.stanza });
}

const RECIPIENTS_KEPT = 1024;
const FLUSH_BYTES = 1024 * 1024;

/** Encrypts each job's plaintext to its recipient, in order, writing it to the job's temp file if it has one. */
export async function encryptJobs(
  jobs: readonly EncryptJob[],
  plaintexts: ReadonlyMap<string, Uint8Array>,
  recipientOf: (index: number) => Recipient | Promise<Recipient>,
): Promise<EncryptResult[]> {
  const out: EncryptResult[] = [];
  for (const job of jobs) {
    const plaintext = plaintexts.get(job.secret);
    if (plaintext === undefined) throw new Error(`no plaintext for ${job.secret} in this worker`);
    const recipient = await recipientOf(job.recipient);
    if (job.tmp === undefined) {
      const bytes = await encrypt(plaintext, [recipient]);
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
        await encryptTo(plaintext, [recipient], (piece) => {
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
