/**
 * The native age X25519 recipient type ("age1..." / "AGE-SECRET-KEY-…"), on node:crypto.
 *
 * typage ships its own X25519 recipient, but it imports a key per wrap through WebCrypto;
 * this one precomputes the recipient's key object once, so a wrap costs two scalar
 * multiplications (the ephemeral key pair and the shared secret).
 */
import { randomBytes, type KeyObject } from "node:crypto";
import { base64nopad, bech32 } from "@scure/base";
import type { Identity, Recipient } from "age-encryption";
import type { Stanza } from "./stanza.js";
import { RekeyError } from "../core/errors.js";
import { KEY_SIZE, rawPublicKey, unwrapFileKey, WRAPPED_KEY_SIZE, x25519, x25519PrivateKey, x25519PublicKey } from "./primitives.js";
import { PointWrap, pointWrapKey, type WrapTarget } from "./point-wrap.js";
import { AGE_IDENTITY_PREFIX } from "./key-markers.js";

const RECIPIENT_HRP = "age";
const IDENTITY_HRP = "AGE-SECRET-KEY-";

/** Encodes a 32-byte X25519 point as an "age1..." recipient. */
export function encodeX25519Recipient(point: Uint8Array): string {
  return bech32.encode(RECIPIENT_HRP, bech32.toWords(point), false);
}

/** Encodes a 32-byte scalar as an "AGE-SECRET-KEY-…" identity, as-is (no clamping). */
export function encodeX25519Identity(scalar: Uint8Array): string {
  return bech32.encode(IDENTITY_HRP, bech32.toWords(scalar), false).toUpperCase();
}

/** Decodes an "age1..." recipient to its point; throws BAD_KEY. */
export function decodeX25519Recipient(text: string): Uint8Array {
  const bytes = decodeBech32(text, RECIPIENT_HRP);
  if (bytes === null || !text.startsWith("age1")) {
    throw new RekeyError("BAD_KEY", `invalid age recipient "${text}": not a valid age1... bech32 string`);
  }
  return bytes;
}

/** Decodes an "AGE-SECRET-KEY-…" identity to its scalar; throws BAD_KEY (without echoing the key). */
export function decodeX25519Identity(text: string): Uint8Array {
  const bytes = decodeBech32(text, IDENTITY_HRP);
  if (bytes === null || !text.startsWith(AGE_IDENTITY_PREFIX)) {
    throw new RekeyError("BAD_KEY", "invalid age identity: not a valid AGE-SECRET-KEY-… bech32 string");
  }
  return bytes;
}

function decodeBech32(text: string, hrp: string): Uint8Array | null {
  try {
    const { prefix, words } = bech32.decode(text as `${string}1${string}`, false);
    const bytes = bech32.fromWords(words);
    return prefix.toLowerCase() === hrp.toLowerCase() && bytes.length === KEY_SIZE ? bytes : null;
  } catch {
    return null;
  }
}

/** An X25519 recipient, checked for a low-order point when it is made. */
export class X25519Recipient implements Recipient {
  readonly target: WrapTarget;
  /** Made on first use, not kept from the check: a key object holds ~1 KiB of native memory, per host of a fleet. */
  #wrap: PointWrap | undefined;

  /** @param point - the recipient's 32-byte u-coordinate; must not be a low-order point. */
  constructor(point: Uint8Array) {
    this.target = { type: "X25519", point, dhPoint: point };
    // A low-order point would make every wrap fail; refuse it once, up front.
    if (new PointWrap(this.target).lowOrder()) {
      throw new RekeyError("BAD_KEY", "invalid X25519 recipient: low-order point");
    }
  }

  /** Wraps the file key in one "X25519" stanza. */
  wrapFileKey(fileKey: Uint8Array): Stanza[] {
    this.#wrap ??= new PointWrap(this.target);
    return [this.#wrap.wrap(fileKey)];
  }
}

/**
 * An X25519 identity. Returns null for stanzas that are not "X25519" or do not open with
 * this key (X25519 stanzas carry no key hint); throws NOT_AGE_FILE for a malformed one.
 */
export class X25519Identity implements Identity {
  readonly #key: KeyObject;
  readonly #point: Uint8Array;

  /** @param scalar - the 32-byte secret scalar, as stored in AGE-SECRET-KEY-…. */
  constructor(scalar: Uint8Array) {
    this.#key = x25519PrivateKey(scalar);
    this.#point = rawPublicKey(this.#key);
  }

  /** The recipient ("age1...") of this identity. */
  get recipient(): string {
    return encodeX25519Recipient(this.#point);
  }

  /** Tries every X25519 stanza; see the class comment for the contract. */
  unwrapFileKey(stanzas: Stanza[]): Uint8Array | null {
    for (const s of stanzas) {
      if (s.args[0] !== "X25519") continue;
      const share = s.args.length === 2 ? decodeShare(s.args[1] ?? "") : null;
      if (share === null) throw malformed("X25519", "its share is not one 32-byte base64 argument");
      if (s.body.length !== WRAPPED_KEY_SIZE) throw malformed("X25519", "its body is not a 16-byte wrapped file key");
      const shared = x25519(this.#key, x25519PublicKey(share));
      if (shared === null) throw malformed("X25519", "its share is a low-order point");
      const fileKey = unwrapFileKey(pointWrapKey("X25519", shared, share, this.#point), s.body);
      if (fileKey !== null) return fileKey;
    }
    return null;
  }
}

/** Decodes a canonical unpadded base64 32-byte share, or null. */
export function decodeShare(arg: string): Uint8Array | null {
  try {
    const bytes = base64nopad.decode(arg);
    return bytes.length === KEY_SIZE ? bytes : null;
  } catch {
    return null;
  }
}

/** The error for a stanza addressed to us that is broken. */
export function malformed(type: string, why: string): RekeyError {
  return new RekeyError("NOT_AGE_FILE", `invalid age header: malformed ${type} stanza (${why})`);
}

/** Generates a new X25519 identity, "AGE-SECRET-KEY-…". */
export function generateX25519Identity(): string {
  return encodeX25519Identity(new Uint8Array(randomBytes(KEY_SIZE)));
}

/** The "age1..." recipient of an "AGE-SECRET-KEY-…" identity; throws BAD_KEY. */
export function x25519RecipientOf(identity: string): string {
  return new X25519Identity(decodeX25519Identity(identity.trim())).recipient;
}
