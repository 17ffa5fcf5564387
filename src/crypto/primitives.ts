/**
 * Native (node:crypto) building blocks shared by the recipient types: X25519 keys from raw
 * bytes, Diffie-Hellman with age's all-zero check, HKDF-SHA-256 and the file-key AEAD.
 *
 * Everything here is synchronous and native: a recipient wrap is on the hot path of `apply`,
 * which may encrypt tens of thousands of files.
 */
import {
  randomBytes,
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createHmac,
  createPublicKey,
  diffieHellman,
  randomFillSync,
  type KeyObject,
} from "node:crypto";

// Keys go through JWK: in Node 20, JWK import/export is about ten times faster than DER, and
// key objects are on the hot path (one ephemeral key per output).
const ZERO_NONCE = Buffer.alloc(12);

/** Size of an X25519 scalar or point, and of a wrap key. */
export const KEY_SIZE = 32;
/** Size of an age file key. */
export const FILE_KEY_SIZE = 16;
/** Size of a wrapped file key: the file key plus the Poly1305 tag. */
export const WRAPPED_KEY_SIZE = 32;

/** An X25519 public key object from its 32-byte u-coordinate. */
export function x25519PublicKey(u: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: "OKP", crv: "X25519", x: Buffer.from(u).toString("base64url") }, format: "jwk" });
}

/** An X25519 private key object from a 32-byte scalar (clamped by X25519 itself). */
export function x25519PrivateKey(scalar: Uint8Array): KeyObject {
  // JWK rather than PKCS#8 DER: in Node 20 the DER decoder costs ~0.5 ms a key, JWK ~0.05 ms.
  // Node requires `x` to be present but derives the key from `d` alone (tests check the
  // derived public key against @noble), so a placeholder of the right length is passed.
  return createPrivateKey({ key: { kty: "OKP", crv: "X25519", d: Buffer.from(scalar).toString("base64url"), x: PLACEHOLDER_X }, format: "jwk" });
}

const PLACEHOLDER_X = Buffer.alloc(32).toString("base64url");

/** The raw 32-byte u-coordinate of an X25519 public (or private) key object. */
export function rawPublicKey(key: KeyObject): Uint8Array {
  return new Uint8Array(Buffer.from(publicKeyBase64url(key), "base64url"));
}

/** The u-coordinate of an X25519 public (or private) key object, in unpadded base64url. */
export function publicKeyBase64url(key: KeyObject): string {
  // A private key's JWK carries its public key too (`x`): one export, no public key object.
  return key.export({ format: "jwk" }).x ?? "";
}

/** A fresh ephemeral key pair (see {@link makeEphemeralKey}): the private key object and the raw public share. */
export function ephemeralKeyPair(): { readonly privateKey: KeyObject; readonly share: Uint8Array } {
  const { privateKey, share } = makeEphemeralKey();
  return { privateKey, share: new Uint8Array(Buffer.from(share, "base64url")) };
}

/** An ephemeral X25519 key for one stanza: the private key object and its share, in unpadded base64url. */
export interface EphemeralKey {
  readonly privateKey: KeyObject;
  readonly share: string;
}

/**
 * Ephemeral keys made ahead of need (see {@link reserveEphemeralKeys}), each handed out once
 * by {@link takeEphemeralKey} and then forgotten.
 */
const reserved: EphemeralKey[] = [];

/**
 * A fresh ephemeral key for one stanza: one made ahead by this thread if any is left, else
 * made now. Importing the random scalar is most of the cost (~45 µs): OpenSSL derives the
 * share, a fixed-base multiplication, on import. Either way the key comes from the CSPRNG,
 * was never used before, and is not kept here once taken.
 */
export function takeEphemeralKey(): EphemeralKey {
  return reserved.pop() ?? makeEphemeralKey();
}

/**
 * Makes up to `count` ephemeral keys ahead of need, keeping at most `limit` in reserve; returns
 * how many are reserved. A thread that would otherwise wait (an encryption worker before its
 * first jobs arrive) does here part of the run's X25519 work.
 */
export function reserveEphemeralKeys(count: number, limit: number): number {
  for (let i = 0; i < count && reserved.length < limit; i++) reserved.push(makeEphemeralKey());
  return reserved.length;
}

/** Forgets the keys in reserve. */
export function dropEphemeralKeys(): void {
  reserved.length = 0;
}

/**
 * The one maker of ephemeral keys. Not generateKeyPairSync: in Node 20 its job object can
 * deadlock a worker thread when the garbage collector destroys it (seen here: ~KeyGenJob
 * blocked on a mutex during GC, hanging apply). Importing random bytes computes the public
 * key in the same single multiplication.
 */
function makeEphemeralKey(): EphemeralKey {
  const scalar = freshRandom(KEY_SIZE);
  const privateKey = x25519PrivateKey(scalar);
  scalar.fill(0);
  return { privateKey, share: publicKeyBase64url(privateKey) };
}

/**
 * X25519(privateKey, publicKey). Returns null when the result is the all-zero value
 * (a low-order input point), which age treats as an error; OpenSSL refuses to derive it.
 */
export function x25519(privateKey: KeyObject, publicKey: KeyObject): Uint8Array | null {
  let shared: Buffer;
  try {
    shared = diffieHellman({ privateKey, publicKey });
  } catch {
    return null;
  }
  let bits = 0;
  for (let i = 0; i < shared.length; i++) bits |= shared[i]!;
  return bits === 0 ? null : new Uint8Array(shared.buffer, shared.byteOffset, shared.byteLength);
}

const INFO_END = Buffer.of(1);

/**
 * HKDF-SHA-256 (RFC 5869) with a 32-byte output, which is one HMAC block of expansion:
 * PRK = HMAC(salt, ikm); OKM = HMAC(PRK, info || 0x01). Two HMACs cost about half of
 * node's hkdfSync, which builds key objects first, and every output runs three of these.
 * An empty salt is the same HMAC key as HashLen zero bytes, as the RFC asks.
 */
export function hkdf32(ikm: Uint8Array, salt: Uint8Array, info: string): Uint8Array {
  const prk = createHmac("sha256", salt).update(ikm).digest();
  const okm = createHmac("sha256", prk).update(info, "latin1").update(INFO_END).digest();
  prk.fill(0);
  return new Uint8Array(okm.buffer, okm.byteOffset, okm.byteLength);
}

const POOL_SIZE = 4096;
const pool = Buffer.alloc(POOL_SIZE);
let poolAt = POOL_SIZE;

/**
 * `n` fresh random bytes (n ≤ 256), from a pool refilled by the CSPRNG 4 KiB at a time: a
 * randomBytes call per file key, nonce and ephemeral key costs more than the bytes. Each
 * pool byte is handed out once and overwritten with zeros as it is.
 */
export function freshRandom(n: number): Uint8Array {
  if (n > 256) return new Uint8Array(randomBytes(n));
  if (poolAt + n > POOL_SIZE) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const out = new Uint8Array(pool.subarray(poolAt, poolAt + n));
  pool.fill(0, poolAt, poolAt + n);
  poolAt += n;
  return out;
}

/** SHA-256 digest. */
export function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(data).digest());
}

/** SHA-512 digest. */
export function sha512(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha512").update(data).digest());
}

/** Concatenates byte arrays. */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

/** ChaCha20-Poly1305 with the all-zero nonce: the file-key wrap used by every age stanza. */
export function wrapFileKey(key: Uint8Array, fileKey: Uint8Array): Uint8Array {
  const cipher = createCipheriv("chacha20-poly1305", key, ZERO_NONCE, { authTagLength: 16 });
  const body = cipher.update(fileKey);
  cipher.final();
  return concatBytes(body, cipher.getAuthTag());
}

/** Opens a wrapped file key; null if the tag does not verify or the size is not 16+16. */
export function unwrapFileKey(key: Uint8Array, body: Uint8Array): Uint8Array | null {
  if (body.length !== WRAPPED_KEY_SIZE) return null;
  const decipher = createDecipheriv("chacha20-poly1305", key, ZERO_NONCE, { authTagLength: 16 });
  decipher.setAuthTag(body.subarray(FILE_KEY_SIZE));
  const fileKey = decipher.update(body.subarray(0, FILE_KEY_SIZE));
  try {
    decipher.final();
  } catch {
    return null;
  }
  return new Uint8Array(fileKey);
}

const ED25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

/** The Ed25519 public key of a 32-byte seed (RFC 8032), computed natively. */
export function ed25519PublicKeyOf(seed: Uint8Array): Uint8Array {
  const key = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: "der", type: "pkcs8" });
  return new Uint8Array(createPublicKey(key).export({ format: "der", type: "spki" }).subarray(12));
}
