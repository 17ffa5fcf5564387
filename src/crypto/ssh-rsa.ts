/**
 * The age "ssh-rsa" stanza (filippo.io/age/agessh), so that hosts with only an RSA host key
 * decrypt with `age -d -i /etc/ssh/ssh_host_rsa_key`:
 *
 *   stanza = "-> ssh-rsa <tag>" with body RSA-OAEP(SHA-256, label LABEL, file key)
 *   tag    = base64(SHA-256(ssh wire key)[:4])
 */
import { constants, createPrivateKey, createPublicKey, privateDecrypt, publicEncrypt, type KeyObject } from "node:crypto";
import { base64nopad } from "@scure/base";
import type { Identity, Recipient } from "age-encryption";
import { Stanza } from "./stanza.js";
import { RekeyError } from "../core/errors.js";
import { concatBytes, sha256 } from "./primitives.js";
import { sshString, WireReader } from "./ssh-key.js";
import { malformed } from "./x25519.js";

const LABEL = "age-encryption.org/v1/ssh-rsa";
const TYPE = "ssh-rsa";
const MIN_BITS = 2048;

/** A parsed ssh-rsa public key. */
export interface SshRsaPublicKey {
  /** The SSH wire encoding: string "ssh-rsa" || mpint e || mpint n. */
  readonly wire: Uint8Array;
  /** Normalized text: "ssh-rsa AAAA..." without a comment. */
  readonly text: string;
  /** Like `ssh-keygen -l`: "SHA256:" + unpadded base64 of SHA-256(wire). */
  readonly sha256Fingerprint: string;
  readonly key: KeyObject;
}

/** The age stanza tag of an SSH key: base64 of the first 4 bytes of SHA-256(wire). */
export function sshKeyTag(wire: Uint8Array): string {
  return base64nopad.encode(sha256(wire).subarray(0, 4));
}

/** SSH mpint (big-endian two's complement) to unsigned bytes, leading zeros dropped. */
function unsigned(mpint: Uint8Array): Uint8Array {
  let i = 0;
  while (i < mpint.length - 1 && mpint[i] === 0) i++;
  return mpint.subarray(i);
}

const b64url = (b: Uint8Array): string => Buffer.from(unsigned(b)).toString("base64url");

/** Builds the public key from its wire blob ("ssh-rsa", e, n); throws BAD_KEY. */
export function sshRsaKeyFromWire(wire: Uint8Array, what = "ssh-rsa key"): SshRsaPublicKey {
  const r = new WireReader(wire, what);
  if (r.text() !== TYPE) throw new RekeyError("BAD_KEY", `invalid ${what}: the key blob is not ssh-rsa`);
  const e = r.string();
  const n = r.string();
  if (r.remaining !== 0 || n.length === 0 || e.length === 0) throw new RekeyError("BAD_KEY", `invalid ${what}: trailing or missing fields`);
  let key: KeyObject;
  try {
    key = createPublicKey({ key: { kty: "RSA", n: b64url(n), e: b64url(e) }, format: "jwk" });
  } catch {
    throw new RekeyError("BAD_KEY", `invalid ${what}: not a valid RSA public key`);
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_BITS) throw new RekeyError("UNSUPPORTED_KEY_TYPE", `${what}: ${bits}-bit RSA keys are too small: age requires at least ${MIN_BITS} bits`);
  const fp = "SHA256:" + Buffer.from(sha256(wire)).toString("base64").replace(/=+$/, "");
  return { wire, key, text: `${TYPE} ${Buffer.from(wire).toString("base64")}`, sha256Fingerprint: fp };
}

/** Parses an "ssh-rsa AAAA... [comment]" line (the first "ssh-rsa <base64>" token pair). */
export function parseSshRsaPublicKey(line: string): SshRsaPublicKey {
  const tokens = line.trim().split(/[ \t]+/);
  const at = tokens.indexOf(TYPE);
  const b64 = at < 0 ? undefined : tokens[at + 1];
  if (b64 === undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0) {
    throw new RekeyError("BAD_KEY", "invalid ssh-rsa key: bad base64");
  }
  return sshRsaKeyFromWire(new Uint8Array(Buffer.from(b64, "base64")));
}

/** An ssh-rsa recipient: RSA-OAEP-SHA-256 with age's label. */
export class SshRsaRecipient implements Recipient {
  readonly #tag: string;
  constructor(private readonly pub: SshRsaPublicKey) {
    this.#tag = sshKeyTag(pub.wire);
  }

  /** Wraps the file key in one "ssh-rsa" stanza. */
  wrapFileKey(fileKey: Uint8Array): Stanza[] {
    const body = publicEncrypt({ key: this.pub.key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256", oaepLabel: Buffer.from(LABEL) }, fileKey);
    return [new Stanza([TYPE, this.#tag], new Uint8Array(body))];
  }
}

/** The fields of an OpenSSH RSA private key, as mpints. */
export interface SshRsaPrivateParts {
  readonly n: Uint8Array;
  readonly e: Uint8Array;
  readonly d: Uint8Array;
  readonly iqmp: Uint8Array;
  readonly p: Uint8Array;
  readonly q: Uint8Array;
}

const big = (b: Uint8Array): bigint => BigInt("0x" + (Buffer.from(b).toString("hex") || "0"));
const bytesOf = (x: bigint): Uint8Array => {
  const hex = x.toString(16);
  return new Uint8Array(Buffer.from(hex.length % 2 === 0 ? hex : "0" + hex, "hex"));
};

/**
 * An ssh-rsa identity. Returns null for stanzas of other types or another key's tag; throws
 * NOT_AGE_FILE for a stanza with this key's tag that does not decrypt (as age does).
 */
export class SshRsaIdentity implements Identity {
  readonly #tag: string;
  readonly #key: KeyObject;
  /** The public key, "ssh-rsa AAAA...". */
  readonly recipient: string;

  constructor(parts: SshRsaPrivateParts, origin: string) {
    const wire = concatBytes(sshString(TYPE), sshString(parts.e), sshString(parts.n));
    const pub = sshRsaKeyFromWire(wire, `${origin}: ssh-rsa key`);
    this.#tag = sshKeyTag(wire);
    this.recipient = pub.text;
    const d = big(parts.d);
    try {
      this.#key = createPrivateKey({
        key: {
          kty: "RSA",
          n: b64url(parts.n),
          e: b64url(parts.e),
          d: b64url(parts.d),
          p: b64url(parts.p),
          q: b64url(parts.q),
          dp: b64url(bytesOf(d % (big(parts.p) - 1n))),
          dq: b64url(bytesOf(d % (big(parts.q) - 1n))),
          qi: b64url(parts.iqmp),
        },
        format: "jwk",
      });
    } catch {
      throw new RekeyError("BAD_KEY", `${origin}: invalid OpenSSH private key (not a valid RSA key)`, { file: origin });
    }
  }

  /** See the class comment for the contract. */
  unwrapFileKey(stanzas: Stanza[]): Uint8Array | null {
    for (const s of stanzas) {
      if (s.args[0] !== TYPE || s.args[1] !== this.#tag) continue;
      if (s.args.length !== 2) throw malformed(TYPE, "it must have exactly one argument, the key tag");
      let fileKey: Buffer;
      try {
        fileKey = privateDecrypt({ key: this.#key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256", oaepLabel: Buffer.from(LABEL) }, s.body);
      } catch {
        throw malformed(TYPE, "the wrapped file key does not decrypt with this key");
      }
      if (fileKey.length !== 16) throw malformed(TYPE, "the wrapped file key is not 16 bytes");
      return new Uint8Array(fileKey);
    }
    return null;
  }
}
