/**
 * Writes Ed25519 keys in OpenSSH's own formats, byte for byte as `ssh-keygen -t ed25519 -N ""`
 * does: the unencrypted "openssh-key-v1" private key file and the one-line public key.
 * Pure: the caller supplies the key material and the random check integer.
 */
import { base64 } from "@scure/base";
import { OPENSSH_PRIVATE_BEGIN, OPENSSH_PRIVATE_END } from "../crypto/key-markers.js";

const KEY_TYPE = "ssh-ed25519";
const MAGIC = "openssh-key-v1\0";
/** The private section is padded to the cipher block size; "none" uses 8. */
const BLOCK_SIZE = 8;
/** ssh-keygen wraps the base64 body at 70 characters. */
const LINE_WIDTH = 70;

/** The key material and labels of an OpenSSH Ed25519 key. */
export interface OpenSshEd25519Key {
  /** The 32-byte Ed25519 seed (private scalar source). */
  readonly seed: Uint8Array;
  /** The 32-byte Ed25519 public key of `seed`. */
  readonly publicKey: Uint8Array;
  /** The key comment; "" for none. */
  readonly comment: string;
  /** 4 random bytes, written twice; they let ssh-keygen detect a wrong passphrase. */
  readonly checkInt: Uint8Array;
}

const utf8 = new TextEncoder();

function uint32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** An SSH wire-format string: a 32-bit big-endian length, then the bytes. */
function sshString(value: Uint8Array | string): Uint8Array {
  const bytes = typeof value === "string" ? utf8.encode(value) : value;
  return concat([uint32(bytes.length), bytes]);
}

/** The public key blob: string "ssh-ed25519", string key. */
function publicBlob(publicKey: Uint8Array): Uint8Array {
  return concat([sshString(KEY_TYPE), sshString(publicKey)]);
}

/** `ssh-ed25519 AAAA... comment\n`, as in a `.pub` file (no trailing space when the comment is empty). */
export function formatOpenSshEd25519PublicKey(publicKey: Uint8Array, comment: string): string {
  const line = `${KEY_TYPE} ${base64.encode(publicBlob(publicKey))}`;
  return comment === "" ? `${line}\n` : `${line} ${comment}\n`;
}

/** The PEM-armoured OpenSSH private key PEM file, unencrypted (cipher and KDF "none"). */
export function encodeOpenSshEd25519PrivateKey(key: OpenSshEd25519Key): string {
  if (key.seed.length !== 32 || key.publicKey.length !== 32 || key.checkInt.length !== 4) {
    throw new RangeError("an Ed25519 key needs a 32-byte seed, a 32-byte public key and a 4-byte check integer");
  }
  const unpadded = concat([
    key.checkInt,
    key.checkInt,
    sshString(KEY_TYPE),
    sshString(key.publicKey),
    sshString(concat([key.seed, key.publicKey])),
    sshString(key.comment),
  ]);
  // Padding bytes are 1, 2, 3, ... up to the block size, as OpenSSH checks on load.
  const padding = Uint8Array.from({ length: (BLOCK_SIZE - (unpadded.length % BLOCK_SIZE)) % BLOCK_SIZE }, (_, i) => i + 1);
  const body = concat([
    utf8.encode(MAGIC),
    sshString("none"),
    sshString("none"),
    sshString(""),
    uint32(1),
    sshString(publicBlob(key.publicKey)),
    sshString(concat([unpadded, padding])),
  ]);
  const b64 = base64.encode(body);
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += LINE_WIDTH) lines.push(b64.slice(i, i + LINE_WIDTH));
  return `${OPENSSH_PRIVATE_BEGIN}\n${lines.join("\n")}\n${OPENSSH_PRIVATE_END}\n`;
}
