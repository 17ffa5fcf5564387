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
import { createHmac, timingSafeEqual } from "node:crypto";
import type { Identity, Recipient, Stanza } from "age-encryption";
import { encodeArmor } from "./armor.js";
import { isRekeyError, RekeyError } from "../core/errors.js";
import { headerMac, headerStanzas, parseAgeFile } from "./header.js";
import { encodeHeader } from "./header-encode.js";
import { decryptPayload, encryptPayload, encryptPayloadPieces } from "./payload.js";
import { freshRandom, hkdf32 } from "./primitives.js";

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
  const macKey = hkdf32(fileKey, new Uint8Array(0), "header");
  const expected = createHmac("sha256", macKey).update(covered).digest();
  macKey.fill(0);
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
