/**
 * Whole-file encryption and decryption, with errors as typed RekeyErrors.
 *
 * Both are native (node:crypto) end to end, over recipients and identities with typage's
 * interfaces: typage's Encrypter costs ~0.5 ms per file in Web Streams and pure-JS ChaCha20
 * alone, more than the recipient wraps, and `apply` may encrypt tens of thousands of files;
 * its Decrypter costs ~50 ms of module loading to an apply that decrypts one source.
 * Decryption parses the header strictly with {@link parseAgeFile}, asks the identities for
 * the file key in order, checks the header MAC and decrypts the payload.
 */
import { timingSafeEqual } from "node:crypto";
import type { Identity, Recipient, Stanza } from "age-encryption";
import { encodeArmor } from "./armor.js";
import { isRekeyError, RekeyError } from "../core/errors.js";
import { headerMac, headerStanzas, parseAgeFile } from "./header.js";
import { encodeHeader, headerMacOf, sealHeader } from "./header-encode.js";
import { CHUNK_SIZE, decryptPayload, encryptPayloadTo } from "./payload.js";
import { freshRandom } from "./primitives.js";

/** Options of {@link encrypt}. */
export interface EncryptOptions {
  /** Produce ASCII armor ("-----BEGIN AGE ENCRYPTED FILE-----") instead of binary. */
  readonly armor?: boolean;
}

/** Encrypts `plaintext` to every recipient (at least one). */
export async function encrypt(plaintext: Uint8Array, recipients: readonly Recipient[], options: EncryptOptions = {}): Promise<Uint8Array> {
  const pieces: Uint8Array[] = [];
  await encryptTo(plaintext, recipients, (piece) => pieces.push(piece));
  const binary = new Uint8Array(Buffer.concat(pieces));
  return options.armor === true ? new TextEncoder().encode(encodeArmor(binary)) : binary;
}

/**
 * Encrypts `plaintext` to the recipients as a binary age file handed to `write` piece by
 * piece (the header, then the payload's nonce and each 64 KiB chunk with its tag), so no
 * whole ciphertext is held in memory.
 */
export async function encryptTo(plaintext: Uint8Array, recipients: readonly Recipient[], write: (piece: Uint8Array) => void): Promise<void> {
  await encryptWith(plaintext, recipients, write);
}

/**
 * {@link encryptTo}, synchronous when every recipient wraps synchronously (the X25519 and
 * ssh-ed25519 wraps do): then it returns undefined, and an apply writing thousands of
 * outputs pays no promise per file. Otherwise it returns the promise of the same work.
 */
export function encryptWith(plaintext: Uint8Array, recipients: readonly Recipient[], write: (piece: Uint8Array) => void): Promise<void> | undefined {
  if (recipients.length === 0) throw new Error("encrypt: at least one recipient is required");
  const fileKey = freshRandom(16);
  const seal = (stanzas: Stanza[]): void => {
    try {
      write(encodeHeader(stanzas, fileKey));
      encryptPayloadTo(fileKey, plaintext, write);
    } finally {
      fileKey.fill(0);
    }
  };
  const stanzas: Stanza[] = [];
  let i = 0;
  try {
    for (; i < recipients.length; i++) {
      const wrapped = recipients[i]!.wrapFileKey(fileKey);
      // The first asynchronous wrap (a plugin) continues asynchronously, one recipient at a time as before.
      if (!Array.isArray(wrapped)) return wrapRest(wrapped);
      stanzas.push(...wrapped);
    }
  } catch (e) {
    fileKey.fill(0);
    throw e;
  }
  seal(stanzas);
  return undefined;

  async function wrapRest(first: Promise<Stanza[]>): Promise<void> {
    try {
      stanzas.push(...(await first));
      for (i++; i < recipients.length; i++) stanzas.push(...(await recipients[i]!.wrapFileKey(fileKey)));
    } catch (e) {
      fileKey.fill(0);
      throw e;
    }
    seal(stanzas);
  }
}

/** The largest plaintext {@link encryptSmall} takes: one payload chunk. */
export const SMALL_PLAINTEXT = CHUNK_SIZE;

/**
 * A binary age file with one stanza, for a plaintext of at most one payload chunk, as the
 * pieces to write in order (header, nonce, sealed chunk, tag). `stanzaText` spells out the
 * stanza wrapping the file key (see PointWrap.stanzaText). The same format as {@link
 * encryptWith}, with a handful of objects per file instead of dozens: `apply` writes
 * thousands of small outputs. The pieces may share Node's Buffer pool: write them, do not
 * keep them.
 */
export function encryptSmall(plaintext: Uint8Array, stanzaText: (fileKey: Uint8Array) => string): Uint8Array[] {
  if (plaintext.length > SMALL_PLAINTEXT) throw new Error(`encryptSmall: ${plaintext.length} bytes is more than one payload chunk`);
  const fileKey = freshRandom(16);
  try {
    const pieces: Uint8Array[] = [sealHeader(stanzaText(fileKey), fileKey)];
    encryptPayloadTo(fileKey, plaintext, (piece) => pieces.push(piece));
    return pieces;
  } finally {
    fileKey.fill(0);
  }
}

/**
 * Decrypts a binary or armored age file with the first identity that matches.
 *
 * Natively, as typage's Decrypter does it (identities in order, the first file key wins, then
 * the header MAC, HMAC-SHA-256 keyed by HKDF(file key, "header")), so that decrypting does not
 * load typage (~50 ms of start-up for an apply that decrypts one source).
 *
 * @throws RekeyError NOT_AGE_FILE / TRUNCATED (bad header or armor, or a stanza addressed to
 * one of the identities that is malformed), NO_IDENTITY_MATCHED (the message lists the file's
 * stanza types), HEADER_MAC_MISMATCH, PAYLOAD_CORRUPT.
 */
export async function decrypt(file: Uint8Array, identities: readonly Identity[]): Promise<Uint8Array> {
  const { binary, header } = parseAgeFile(file);
  const headerBytes = binary.subarray(0, header.headerLength);
  const stanzas = headerStanzas(headerBytes);
  let fileKey: Uint8Array | null = null;
  for (const identity of identities) {
    try {
      fileKey = await identity.unwrapFileKey(stanzas);
    } catch (e) {
      throw identityError(e);
    }
    if (fileKey !== null) break;
  }
  if (fileKey === null) {
    const types = [...new Set(header.stanzas.map((s) => s.type))];
    throw new RekeyError("NO_IDENTITY_MATCHED", `no identity matched: the file has stanzas ${types.join(", ") || "(none)"}`, {
      hint: "Decrypt with an identity whose recipient this file was encrypted to.",
    });
  }
  const { covered, mac } = headerMac(headerBytes);
  const expected = headerMacOf(fileKey, covered);
  if (expected.length !== mac.length || !timingSafeEqual(expected, mac)) {
    throw new RekeyError("HEADER_MAC_MISMATCH", "the age header MAC does not match: the header was tampered with or corrupted");
  }
  return decryptPayload(fileKey, binary.subarray(header.headerLength));
}

/** An identity's failure: our own typed errors as they are, anything else as a malformed file. */
function identityError(e: unknown): Error {
  if (isRekeyError(e)) return e;
  const why = e instanceof Error ? e.message : String(e);
  return new RekeyError("NOT_AGE_FILE", `not a valid age file: ${why}`, { cause: e });
}
