/**
 * bcrypt_pbkdf, the key derivation of passphrase-protected OpenSSH private keys (OpenBSD
 * lib/libutil/bcrypt_pbkdf.c): SHA-512 of the passphrase and salt, fed to "bcrypt_hash", a
 * Blowfish key schedule expanded 64 times that encrypts "OxychromaticBlowfishSwatDynamite".
 *
 * Blowfish's initial P-array and S-boxes are the hexadecimal digits of pi's fractional part;
 * they are computed once (Machin's formula on BigInt, a few milliseconds) rather than stored
 * as a 1,042-word table.
 */
import { sha512 } from "./primitives.js";

const P_WORDS = 18;
const S_WORDS = 1024;
const HASH_SIZE = 32;
const MAGIC = new TextEncoder().encode("OxychromaticBlowfishSwatDynamite");

let piWords: Uint32Array | undefined;

/** The first `P_WORDS + S_WORDS` 32-bit words of pi's fractional part (0x243f6a88, 0x85a308d3, ...). */
export function blowfishInitialState(): Uint32Array {
  if (piWords !== undefined) return piWords;
  const words = P_WORDS + S_WORDS;
  const guard = 64n;
  const bits = BigInt(words * 32) + guard;
  const one = 1n << bits;
  const atanInv = (x: bigint): bigint => {
    const x2 = x * x;
    let term = one / x;
    let sum = term;
    for (let k = 1n; term !== 0n; k++) {
      term /= x2;
      sum += (k % 2n === 0n ? 1n : -1n) * (term / (2n * k + 1n));
    }
    return sum;
  };
  const frac = ((16n * atanInv(5n) - 4n * atanInv(239n)) - 3n * one) >> guard;
  const out = new Uint32Array(words);
  for (let i = 0; i < words; i++) out[i] = Number((frac >> BigInt((words - 1 - i) * 32)) & 0xffffffffn);
  piWords = out;
  return out;
}

/** A Blowfish state: P-array (18 words) then the four S-boxes (4 x 256 words). */
class Blowfish {
  readonly p: Uint32Array;
  readonly s: Uint32Array;

  constructor() {
    const init = blowfishInitialState();
    this.p = init.slice(0, P_WORDS);
    this.s = init.slice(P_WORDS);
  }

  /** Encrypts the block (lr[off], lr[off + 1]) in place. */
  encipher(lr: Uint32Array, off: number): void {
    const p = this.p;
    const s = this.s;
    let l = lr[off]! ^ p[0]!;
    let r = lr[off + 1]!;
    for (let i = 1; i <= 16; i += 2) {
      r ^= (((s[l >>> 24]! + s[0x100 | ((l >>> 16) & 0xff)]!) ^ s[0x200 | ((l >>> 8) & 0xff)]!) + s[0x300 | (l & 0xff)]!) ^ p[i]!;
      l ^= (((s[r >>> 24]! + s[0x100 | ((r >>> 16) & 0xff)]!) ^ s[0x200 | ((r >>> 8) & 0xff)]!) + s[0x300 | (r & 0xff)]!) ^ p[i + 1]!;
    }
    lr[off] = (r ^ p[17]!) >>> 0;
    lr[off + 1] = l >>> 0;
  }

  /** Blowfish_expandstate (with `data`) or Blowfish_expand0state (without). */
  expand(key: Uint8Array, data: Uint8Array | null): void {
    const keyStream = new WordStream(key);
    for (let i = 0; i < P_WORDS; i++) this.p[i] = (this.p[i]! ^ keyStream.next()) >>> 0;
    const dataStream = data === null ? null : new WordStream(data);
    const lr = new Uint32Array(2);
    const fill = (target: Uint32Array, count: number): void => {
      for (let i = 0; i < count; i += 2) {
        if (dataStream !== null) {
          lr[0] = lr[0]! ^ dataStream.next();
          lr[1] = lr[1]! ^ dataStream.next();
        }
        this.encipher(lr, 0);
        target[i] = lr[0]!;
        target[i + 1] = lr[1]!;
      }
    };
    fill(this.p, P_WORDS);
    fill(this.s, S_WORDS);
  }
}

/** Blowfish_stream2word: big-endian words read cyclically from the bytes. */
class WordStream {
  #at = 0;
  constructor(private readonly bytes: Uint8Array) {}
  next(): number {
    let w = 0;
    for (let i = 0; i < 4; i++) {
      w = ((w << 8) | this.bytes[this.#at]!) >>> 0;
      this.#at = (this.#at + 1) % this.bytes.length;
    }
    return w;
  }
}

function bcryptHash(sha2pass: Uint8Array, sha2salt: Uint8Array): Uint8Array {
  const bf = new Blowfish();
  bf.expand(sha2pass, sha2salt);
  for (let i = 0; i < 64; i++) {
    bf.expand(sha2salt, null);
    bf.expand(sha2pass, null);
  }
  const words = new WordStream(MAGIC);
  const cdata = new Uint32Array(HASH_SIZE / 4);
  for (let i = 0; i < cdata.length; i++) cdata[i] = words.next();
  for (let i = 0; i < 64; i++) for (let j = 0; j < cdata.length; j += 2) bf.encipher(cdata, j);
  const out = new Uint8Array(HASH_SIZE);
  // The output words are written little-endian, as OpenBSD does.
  cdata.forEach((w, i) => new DataView(out.buffer).setUint32(4 * i, w, true));
  return out;
}

/**
 * bcrypt_pbkdf(passphrase, salt, keyLength, rounds), as OpenSSH uses it to derive the
 * cipher key and IV of an encrypted private key.
 */
export function bcryptPbkdf(passphrase: Uint8Array, salt: Uint8Array, keyLength: number, rounds: number): Uint8Array {
  if (rounds < 1 || keyLength < 1 || keyLength > HASH_SIZE * HASH_SIZE || salt.length === 0) throw new Error("bcrypt_pbkdf: invalid parameters");
  const stride = Math.ceil(keyLength / HASH_SIZE);
  const amount = Math.ceil(keyLength / stride);
  const key = new Uint8Array(keyLength);
  const sha2pass = sha512(passphrase);
  const countSalt = new Uint8Array(salt.length + 4);
  countSalt.set(salt);
  let left = keyLength;
  for (let count = 1; left > 0; count++) {
    new DataView(countSalt.buffer).setUint32(salt.length, count);
    let tmp = bcryptHash(sha2pass, sha512(countSalt));
    const out = tmp.slice();
    for (let r = 1; r < rounds; r++) {
      tmp = bcryptHash(sha2pass, sha512(tmp));
      for (let j = 0; j < out.length; j++) out[j] = out[j]! ^ tmp[j]!;
    }
    // Output bytes are spread across the key with `stride`, so every block depends on all rounds.
    let i = 0;
    for (; i < Math.min(amount, left); i++) {
      const dest = i * stride + (count - 1);
      if (dest >= keyLength) break;
      key[dest] = out[i]!;
    }
    left -= i;
  }
  return key;
}
