/**
 * The age payload (C2SP age.md, "Payload"): a 16-byte nonce, then STREAM-encrypted
 * ChaCha20-Poly1305 chunks of 64 KiB, encrypted and decrypted here natively in one pass.
 */
import { createCipheriv, createDecipheriv } from "node:crypto";
import { RekeyError } from "../core/errors.js";
import { freshRandom, hkdf32 } from "./primitives.js";

const NONCE_SIZE = 16;
const TAG_SIZE = 16;
/** The plaintext size of a payload chunk. */
export const CHUNK_SIZE = 64 * 1024;
const SEALED_CHUNK_SIZE = CHUNK_SIZE + TAG_SIZE;

/**
 * Decrypts a payload (nonce included) with the file key. All or nothing: no plaintext is
 * released unless every chunk authenticates and the last one is marked final.
 *
 * @throws RekeyError PAYLOAD_CORRUPT.
 */
export function decryptPayload(fileKey: Uint8Array, payload: Uint8Array): Uint8Array {
  if (payload.length < NONCE_SIZE) throw corrupt("the payload nonce is missing");
  const key = hkdf32(fileKey, payload.subarray(0, NONCE_SIZE), "payload");
  const sealed = payload.subarray(NONCE_SIZE);
  if (sealed.length === 0) throw corrupt("the payload has no chunks");
  const count = Math.ceil(sealed.length / SEALED_CHUNK_SIZE);
  if (sealed.length - (count - 1) * SEALED_CHUNK_SIZE < TAG_SIZE) throw corrupt("the last chunk is shorter than its tag");
  const out = new Uint8Array(sealed.length - count * TAG_SIZE);
  const nonce = new Uint8Array(12);
  const view = new DataView(nonce.buffer);
  for (let i = 0; i < count; i++) {
    const chunk = sealed.subarray(i * SEALED_CHUNK_SIZE, Math.min(sealed.length, (i + 1) * SEALED_CHUNK_SIZE));
    const last = i === count - 1;
    view.setUint32(7, i);
    nonce[11] = last ? 1 : 0;
    const plain = openChunk(key, nonce, chunk);
    if (plain === null) throw corrupt(`chunk ${i + 1} does not authenticate (tampered or truncated)`);
    if (last && plain.length === 0 && i > 0) throw corrupt("the final chunk is empty");
    out.set(plain, i * CHUNK_SIZE);
  }
  return out;
}

function openChunk(key: Uint8Array, nonce: Uint8Array, chunk: Uint8Array): Uint8Array | null {
  const d = createDecipheriv("chacha20-poly1305", key, nonce, { authTagLength: TAG_SIZE });
  d.setAuthTag(chunk.subarray(chunk.length - TAG_SIZE));
  const plain = d.update(chunk.subarray(0, chunk.length - TAG_SIZE));
  try {
    d.final();
  } catch {
    return null;
  }
  return plain;
}

function corrupt(why: string): RekeyError {
  return new RekeyError("PAYLOAD_CORRUPT", `the encrypted payload is corrupt: ${why}`);
}

/**
 * The payload in pieces, handed to `write` in order: the nonce, then each sealed 64 KiB chunk
 * (ciphertext, then tag). A large secret is written to many hosts this way without a whole
 * ciphertext in memory.
 */
export function encryptPayloadTo(fileKey: Uint8Array, plaintext: Uint8Array, write: (piece: Uint8Array) => void): void {
  const nonce = freshRandom(NONCE_SIZE);
  const key = hkdf32(fileKey, nonce, "payload");
  write(nonce);
  const count = Math.max(1, Math.ceil(plaintext.length / CHUNK_SIZE));
  const chunkNonce = new Uint8Array(12);
  const view = new DataView(chunkNonce.buffer);
  try {
    for (let i = 0; i < count; i++) {
      view.setUint32(7, i);
      chunkNonce[11] = i === count - 1 ? 1 : 0;
      const c = createCipheriv("chacha20-poly1305", key, chunkNonce, { authTagLength: TAG_SIZE });
      write(c.update(plaintext.subarray(i * CHUNK_SIZE, (i + 1) * CHUNK_SIZE)));
      c.final();
      write(c.getAuthTag());
    }
  } finally {
    key.fill(0);
  }
}
