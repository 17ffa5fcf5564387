/**
 * OpenSSH key formats: public key lines (authorized_keys, known_hosts, ssh-keyscan) and the
 * unencrypted "openssh-key-v1" private key format (PROTOCOL.key). Only ssh-ed25519 keys are
 * accepted; every other type is named in an UNSUPPORTED_KEY_TYPE error.
 */
import { RekeyError } from "../core/errors.js";
import { concatBytes, sha256 } from "./primitives.js";
import { isValidEd25519Point, uOfValidPoint } from "./ed25519-point.js";

/** A parsed ssh-ed25519 public key. */
export interface SshEd25519PublicKey {
  /** The 32-byte Ed25519 point, validated (on the curve, canonical, not low-order). */
  readonly point: Uint8Array;
  /** The SSH wire encoding: string "ssh-ed25519" || string point. */
  readonly wire: Uint8Array;
  /** Normalized text: "ssh-ed25519 AAAA..." without a comment. */
  readonly text: string;
  /** Like `ssh-keygen -l`: "SHA256:" + unpadded base64 of SHA-256(wire). */
  readonly sha256Fingerprint: string;
}

const ED25519 = "ssh-ed25519";
const KEY_TYPE = /^(ssh-[a-z0-9]+|ecdsa-sha2-[a-z0-9]+|sk-[a-z0-9-]+@openssh\.com|[a-z0-9-]+-cert-v01@openssh\.com)$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** SSH wire "string": a uint32 big-endian length and the bytes. */
export function sshString(bytes: Uint8Array | string): Uint8Array {
  const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  const out = new Uint8Array(4 + data.length);
  new DataView(out.buffer).setUint32(0, data.length);
  out.set(data, 4);
  return out;
}

/** Reads SSH wire fields from a buffer; every read past the end throws BAD_KEY. */
export class WireReader {
  #offset = 0;
  constructor(private readonly bytes: Uint8Array, private readonly what: string) {}

  /** Reads `n` raw bytes. */
  raw(n: number): Uint8Array {
    if (this.#offset + n > this.bytes.length) throw new RekeyError("BAD_KEY", `${this.what} is truncated`);
    const out = this.bytes.subarray(this.#offset, this.#offset + n);
    this.#offset += n;
    return out;
  }
  /** Reads a uint32. */
  uint32(): number {
    const b = this.raw(4);
    return new DataView(b.buffer, b.byteOffset, 4).getUint32(0);
  }
  /** Reads a length-prefixed string as bytes. */
  string(): Uint8Array {
    return this.raw(this.uint32());
  }
  /** Reads a length-prefixed string as text. */
  text(): string {
    return Buffer.from(this.string()).toString("latin1");
  }
  /** Bytes left. */
  get remaining(): number {
    return this.bytes.length - this.#offset;
  }
}

/**
 * Points already validated (true), and their Montgomery u-coordinates once computed, so that
 * a key is checked and converted once per process.
 */
const validated = new Map<string, Uint8Array | true>();
/** Bounded: a fleet's host keys pass once each, and each entry (~300 bytes once converted) would be kept for the run. */
const VALIDATED_MAX = 1_024;

/**
 * Validates a 32-byte Ed25519 public point (canonical, on the curve, not of small order);
 * throws BAD_KEY. The check costs ~25 µs in JavaScript (a Jacobi symbol), so each point's
 * result is remembered; the conversion is left to {@link montgomeryU}, which only encryption
 * and decryption need (not plan or check).
 */
export function checkEd25519Point(point: Uint8Array, what: string): void {
  const id = pointId(point);
  if (!validated.has(id)) checkUnknown(id, point, what);
}

/**
 * The X25519 u-coordinate, (1 + y) / (1 - y), of a valid Ed25519 point, as
 * `filippo.io/edwards25519`'s BytesMontgomery computes it (see ed25519-point.ts); validates
 * it first if that was not done. Throws BAD_KEY.
 */
export function montgomeryU(point: Uint8Array, what: string): Uint8Array {
  const id = pointId(point);
  const known = validated.get(id);
  if (known instanceof Uint8Array) return known.slice();
  if (known === undefined) checkUnknown(id, point, what);
  const u = uOfValidPoint(point);
  remember(id, u);
  return u.slice();
}

function pointId(point: Uint8Array): string {
  return Buffer.from(point).toString("base64");
}

/** Checks a point not in {@link validated} yet, and remembers it as valid. */
function checkUnknown(id: string, point: Uint8Array, what: string): void {
  if (!isValidEd25519Point(point)) throw new RekeyError("BAD_KEY", `${what}: not a valid Ed25519 public key`);
  remember(id, true);
}

function remember(id: string, value: Uint8Array | true): void {
  if (validated.size >= VALIDATED_MAX && !validated.has(id)) validated.clear();
  validated.set(id, value);
}

/** Builds the parsed form of an ssh-ed25519 key from its validated point. */
export function sshEd25519Key(point: Uint8Array): SshEd25519PublicKey {
  const wire = concatBytes(sshString(ED25519), sshString(point));
  const b64 = Buffer.from(wire).toString("base64");
  const fp = "SHA256:" + Buffer.from(sha256(wire)).toString("base64").replace(/=+$/, "");
  return { point, wire, text: `${ED25519} ${b64}`, sha256Fingerprint: fp };
}

/**
 * Parses one public key line: "ssh-ed25519 AAAA... comment", a known_hosts line
 * ("host,ip ssh-ed25519 AAAA...", with an optional @marker) or an authorized_keys line with
 * options. The key is the first "<type> <base64>" pair of tokens.
 */
export function parseSshPublicKey(line: string): SshEd25519PublicKey {
  const tokens = line.trim().split(/[ \t]+/);
  const at = tokens.findIndex((t, i) => KEY_TYPE.test(t) && BASE64.test(tokens[i + 1] ?? ""));
  const type = tokens[at];
  const b64 = tokens[at + 1];
  if (at < 0 || type === undefined || b64 === undefined) {
    throw new RekeyError("BAD_KEY", `not an SSH public key: "${shorten(line)}"`);
  }
  if (type !== ED25519) {
    throw new RekeyError("UNSUPPORTED_KEY_TYPE", `unsupported SSH key type ${type}: only ssh-ed25519 keys are supported`);
  }
  if (b64.length % 4 !== 0) throw new RekeyError("BAD_KEY", `invalid ${ED25519} key: bad base64`);
  const r = new WireReader(new Uint8Array(Buffer.from(b64, "base64")), `${ED25519} key`);
  const inner = r.text();
  const point = r.string();
  if (inner !== ED25519 || r.remaining !== 0 || point.length !== 32) {
    throw new RekeyError("BAD_KEY", `invalid ${ED25519} key: the key blob is not a 32-byte ${ED25519} key`);
  }
  checkEd25519Point(point, `invalid ${ED25519} key`);
  return sshEd25519Key(point);
}

/** True if the text starts like an SSH public key ("ssh-..." / "ecdsa-..." / "sk-..."). */
export function looksLikeSshPublicKey(text: string): boolean {
  return /^(ssh-|ecdsa-|sk-)/.test(text.trim());
}

function shorten(s: string): string {
  const t = s.trim();
  return t.length > 40 ? t.slice(0, 37) + "..." : t;
}
