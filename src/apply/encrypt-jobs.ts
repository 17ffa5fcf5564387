/**
 * Encryption jobs: one output, a secret's plaintext to one host recipient. Shared by the
 * worker threads and the in-process path, so both produce the same files.
 */
import { createHash } from "node:crypto";
import type { StanzaMode } from "../core/model.js";
import type { Recipient } from "age-encryption";
import { encryptSmall, encryptWith, SMALL_PLAINTEXT } from "../crypto/cipher.js";
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
   * creating thousands of files is spread over the workers too.
   */
  readonly tmp: string;
}

/** What a job produced: the SHA-256 (hex) of the output written to its temp file. */
export interface EncryptResult {
  readonly digest: string;
  /** The errno code (e.g. "ENOSPC") when writing the temp file failed; the caller names the file. */
  readonly writeError?: string;
}

/** Messages from the pool to a worker. */
export type PoolRequest =
  | { readonly type: "plaintexts"; readonly entries: readonly [string, Uint8Array][] }
  /**
   * A batch, with the specs of the recipients its jobs use: a worker holds no table of every
   * recipient of the run, which would grow with the fleet (see {@link RecipientTable}).
   */
  | { readonly type: "jobs"; readonly id: number; readonly jobs: readonly EncryptJob[]; readonly recipients: readonly [number, RecipientSpec][] }
  | { readonly type: "close" };

/** The spec a worker needs for a parsed recipient. */
export function recipientSpec(recipient: RekeyRecipient, stanza: StanzaMode): RecipientSpec {
  const target = recipient.target;
  return target !== undefined ? { target } : { text: recipient.text, stanza };
}

/**
 * Recipients turned back into wraps from their specs, in a worker: a bounded cache of the
 * wraps built last, keyed by the recipient's index in the run. Each batch brings the specs it
 * needs, so nothing here grows with the fleet.
 */
export class RecipientTable {
  readonly #built = new Map<number, Recipient>();
  #builds = 0;

  /** How many recipients this table has built from their specs, in all. */
  get builds(): number {
    return this.#builds;
  }

  /** The recipient: at once for precomputed wraps, once its parser is loaded for the others. */
  get(index: number, specs: ReadonlyMap<number, RecipientSpec>): Recipient | Promise<Recipient> {
    const built = this.#built.get(index);
    if (built !== undefined) return built;
    const spec = specs.get(index);
    if (spec === undefined) throw new Error(`no recipient ${index} in this batch`);
    this.#builds++;
    if ("target" in spec) return keepBounded(this.#built, index, new PointWrap(spec.target));
    return parsed(spec).then((r) => keepBounded(this.#built, index, r));
  }

  clear(): void {
    this.#built.clear();
  }
}

/** The wraps of the recipients this thread encrypted to last; bounded like {@link RecipientTable}. */
const localWraps = new Map<RekeyRecipient, Recipient>();

/**
 * The recipient to encrypt to on this thread: the precomputed wrap of an X25519 or
 * ssh-ed25519 recipient (made once per recipient while it is in use), so that its outputs
 * take the fast path of {@link encryptJobs}, or the recipient itself. `spec`, when the
 * caller has it, saves computing the target again (an ssh-ed25519 target is not kept by its
 * recipient).
 */
export function localRecipient(recipient: RekeyRecipient, spec?: RecipientSpec): Recipient {
  const known = localWraps.get(recipient);
  if (known !== undefined) return known;
  const target = spec === undefined ? recipient.target : "target" in spec ? spec.target : undefined;
  return keepBounded(localWraps, recipient, target === undefined ? recipient : new PointWrap(target));
}

/**
 * Adds `value` to a cache of wraps, emptied once it holds {@link RECIPIENTS_KEPT}: jobs come
 * host by host, so a bounded cache serves a fleet of any size, and a wrap's key object (~1 KiB
 * of native memory) is not kept for every host of the run. Shared by the workers' table and
 * this thread's wraps, and the pool's table of the recipients in use.
 */
export function keepBounded<K, V>(cache: Map<K, V>, key: K, value: V): V {
  if (cache.size >= RECIPIENTS_KEPT) cache.clear();
  cache.set(key, value);
  return value;
}

async function parsed(spec: { readonly text: string; readonly stanza: StanzaMode }): Promise<Recipient> {
  // Loaded only for the rarer types (ssh-rsa, post-quantum, plugins): the whole parser is heavy.
  const { parseRecipient } = await import("../crypto/recipients.js");
  return parseRecipient(spec.text, { stanza: spec.stanza });
}

const RECIPIENTS_KEPT = 1024;
const FLUSH_BYTES = 1024 * 1024;

/**
 * Encrypts each job's plaintext to its recipient, in order, writing it to the job's temp file.
 * A job whose recipient wraps synchronously (the X25519 and ssh-ed25519 wraps) runs without a
 * promise, and a small plaintext to a {@link PointWrap} (nearly every output) is sealed whole
 * with {@link encryptSmall}; plugin and parsed recipients are awaited.
 */
export async function encryptJobs(
  jobs: readonly EncryptJob[],
  plaintexts: ReadonlyMap<string, Uint8Array>,
  recipientOf: (index: number) => Recipient | Promise<Recipient>,
): Promise<EncryptResult[]> {
  const out: EncryptResult[] = [];
  for (const job of jobs) {
    const plaintext = plaintexts.get(job.secret);
    if (plaintext === undefined) throw new Error(`no plaintext for ${job.secret} in this worker`);
    const found = recipientOf(job.recipient);
    const recipient = found instanceof Promise ? await found : found;
    if (recipient instanceof PointWrap && plaintext.length <= SMALL_PLAINTEXT) {
      out.push(sealedToTempFile(job.tmp, plaintext, recipient));
      continue;
    }
    const result = toTempFile(job.tmp, plaintext, recipient);
    out.push(result instanceof Promise ? await result : result);
  }
  return out;
}

/**
 * Streams the output to its temp file, pieces gathered up to 1 MiB per write (a small output
 * costs one write call), so a large secret is never held whole per output. A failed write is
 * reported, not thrown: a worker's error loses its code, and results must stay one per job.
 */
function toTempFile(tmp: string, plaintext: Uint8Array, recipient: Recipient): EncryptResult | Promise<EncryptResult> {
  const hash = createHash("sha256");
  let file: ReturnType<typeof openTempFile>;
  try {
    file = openTempFile(tmp, 0o644);
  } catch (e) {
    return writeFailure(e);
  }
  let open = true;
  const close = () => {
    if (!open) return;
    open = false;
    file.close();
  };
  const pending: Uint8Array[] = [];
  let size = 0;
  const flush = () => {
    if (pending.length > 0) file.write(pending.length === 1 ? pending[0]! : Buffer.concat(pending));
    pending.length = 0;
    size = 0;
  };
  const finish = (): EncryptResult => {
    try {
      flush();
    } finally {
      close();
    }
    return { digest: hash.digest("hex") };
  };
  try {
    const running = encryptWith(plaintext, [recipient], (piece) => {
      hash.update(piece);
      pending.push(piece);
      size += piece.length;
      if (size >= FLUSH_BYTES) flush();
    });
    if (running === undefined) return finish();
    return running.then(finish).catch((e: unknown) => {
      close();
      return writeFailure(e);
    });
  } catch (e) {
    close();
    return writeFailure(e);
  }
}

/** Writes a small output, sealed whole, to its temp file in one system call; see {@link toTempFile} for failures. */
function sealedToTempFile(tmp: string, plaintext: Uint8Array, wrap: PointWrap): EncryptResult {
  const pieces = encryptSmall(plaintext, (fileKey) => wrap.stanzaText(fileKey));
  let file: ReturnType<typeof openTempFile>;
  try {
    file = openTempFile(tmp, 0o644);
  } catch (e) {
    return writeFailure(e);
  }
  try {
    file.writev(pieces);
  } catch (e) {
    return writeFailure(e);
  } finally {
    file.close();
  }
  const hash = createHash("sha256");
  for (const piece of pieces) hash.update(piece);
  return { digest: hash.digest("hex") };
}

function writeFailure(e: unknown): EncryptResult {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === undefined) throw e;
  return { digest: "", writeError: code };
}
