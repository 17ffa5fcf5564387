/**
 * Whole-file encryption and decryption, with typage's errors mapped to typed RekeyErrors.
 *
 * Encryption is native (node:crypto) end to end: typage's Encrypter costs ~0.5 ms per file
 * in Web Streams and pure-JS ChaCha20 alone, more than the recipient wraps, and `apply` may
 * encrypt tens of thousands of files. Decryption parses the header strictly with
 * {@link parseAgeFile}, recovers the file key with typage's Decrypter (identities + header
 * MAC), and decrypts the payload natively.
 */
import type { Identity, Recipient, Stanza } from "age-encryption";
import { encodeArmor } from "./armor.js";
import { isRekeyError, RekeyError } from "../core/errors.js";
import { parseAgeFile, type AgeHeader } from "./header.js";
import { encodeHeader } from "./header-encode.js";
import { decryptPayload, encryptPayload, encryptPayloadPieces } from "./payload.js";
import { freshRandom } from "./primitives.js";

/** Options of {@link encrypt}. */
export interface EncryptOptions {
  /** Produce ASCII armor ("-----BEGIN AGE ENCRYPTED FILE-----") instead of binary. */
  readonly armor?: boolean;
}

/** Encrypts `plaintext` to every recipient (at least one). */
export async function encrypt(plaintext: Uint8Array, recipients: readonly Recipient[], options: EncryptOptions = {}): Promise<Uint8Array> {
  const header = await encryptHeader(recipients);
  const payload = encryptPayload(header.fileKey, plaintext);
  const binary = new Uint8Array(header.bytes.length + payload.length);
  binary.set(header.bytes);
  binary.set(payload, header.bytes.length);
  header.fileKey.fill(0);
  return options.armor === true ? new TextEncoder().encode(encodeArmor(binary)) : binary;
}

/**
 * Encrypts `plaintext` to the recipients as a binary age file handed to `write` piece by
 * piece (the header, then each 64 KiB chunk), so no whole ciphertext is held in memory.
 */
export async function encryptTo(plaintext: Uint8Array, recipients: readonly Recipient[], write: (piece: Uint8Array) => void): Promise<void> {
  const header = await encryptHeader(recipients);
  try {
    write(header.bytes);
    for (const piece of encryptPayloadPieces(header.fileKey, plaintext)) write(piece);
  } finally {
    header.fileKey.fill(0);
  }
}

async function encryptHeader(recipients: readonly Recipient[]): Promise<{ fileKey: Uint8Array; bytes: Uint8Array }> {
  if (recipients.length === 0) throw new Error("encrypt: at least one recipient is required");
  const fileKey = freshRandom(16);
  const stanzas: Stanza[] = [];
  for (const r of recipients) stanzas.push(...(await r.wrapFileKey(fileKey)));
  return { fileKey, bytes: encodeHeader(stanzas, fileKey) };
}

/** Thrown inside identities so that their errors are told apart from typage's own. */
class IdentityFailure extends Error {
  constructor(readonly original: unknown) {
    super("identity failure");
  }
}

function guarded(identity: Identity): Identity {
  return {
    async unwrapFileKey(stanzas: Stanza[]): Promise<Uint8Array | null> {
      try {
        return await identity.unwrapFileKey(stanzas);
      } catch (e) {
        throw new IdentityFailure(e);
      }
    },
  };
}

/**
 * Decrypts a binary or armored age file with the first identity that matches.
 *
 * @throws RekeyError NOT_AGE_FILE / TRUNCATED (bad header or armor, or a stanza addressed to
 * one of the identities that is malformed), NO_IDENTITY_MATCHED (the message lists the file's
 * stanza types), HEADER_MAC_MISMATCH, PAYLOAD_CORRUPT.
 */
export async function decrypt(file: Uint8Array, identities: readonly Identity[]): Promise<Uint8Array> {
  const { binary, header } = parseAgeFile(file);
  // typage is loaded on the first decryption only: `plan` and `check` never decrypt.
  const { Decrypter } = await import("age-encryption");
  const d = new Decrypter();
  for (const identity of identities) d.addIdentity(guarded(identity));
  let fileKey: Uint8Array;
  try {
    fileKey = await d.decryptHeader(binary.subarray(0, header.headerLength));
  } catch (e) {
    throw headerError(e, header);
  }
  return decryptPayload(fileKey, binary.subarray(header.headerLength));
}

function headerError(e: unknown, header: AgeHeader): Error {
  if (e instanceof IdentityFailure) {
    if (isRekeyError(e.original)) return e.original;
    const why = e.original instanceof Error ? e.original.message : String(e.original);
    return new RekeyError("NOT_AGE_FILE", `not a valid age file: ${why}`, { cause: e.original });
  }
  const message = e instanceof Error ? e.message : String(e);
  if (message.includes("no identity matched")) {
    const types = [...new Set(header.stanzas.map((s) => s.type))];
    return new RekeyError("NO_IDENTITY_MATCHED", `no identity matched: the file has stanzas ${types.join(", ") || "(none)"}`, {
      hint: "Decrypt with an identity whose recipient this file was encrypted to.",
    });
  }
  if (message.includes("HMAC")) {
    return new RekeyError("HEADER_MAC_MISMATCH", "the age header MAC does not match: the header was tampered with or corrupted");
  }
  // The header already parsed strictly, so anything else typage rejects is a malformed header.
  return new RekeyError("NOT_AGE_FILE", `not a valid age file: ${message}`, { cause: e });
}
