/**
 * The file-key wrap shared by the "X25519" and "ssh-ed25519" stanzas (C2SP age.md;
 * filippo.io/age/agessh), from precomputed points, so that it needs neither bech32 nor an
 * Ed25519 point decoder:
 *
 *   share  = X25519(e, basepoint)            (e fresh per stanza)
 *   shared = X25519(e, dhPoint)
 *   key    = HKDF-SHA-256(shared, salt = share || point, info = "age-encryption.org/v1/<type>")
 *   body   = ChaCha20-Poly1305(key, zero nonce, file key)
 *
 * For X25519, dhPoint is the recipient's point. For ssh-ed25519, point is the Montgomery form
 * of the host key and dhPoint is tweak·point: agessh's X25519(tweak, X25519(e, point)) equals
 * X25519(e, X25519(tweak, point)), as scalar multiplication commutes.
 *
 * A {@link WrapTarget} is plain data: `apply` computes it once per host and hands it to its
 * encryption workers, which then load only this module and the primitives.
 */
import type { KeyObject } from "node:crypto";
import { base64NoPad, encodeStanza } from "./header-encode.js";
import { Stanza } from "./stanza.js";
import {
  concatBytes,
  ephemeralKeyPair,
  hkdf32,
  KEY_SIZE,
  takeEphemeralKey,
  wrapFileKey,
  x25519,
  x25519PublicKey,
} from "./primitives.js";

/** The stanza types wrapped here. */
export type PointStanzaType = "X25519" | "ssh-ed25519";

/** Everything a wrap needs about its recipient, precomputed; structured-cloneable. */
export interface WrapTarget {
  readonly type: PointStanzaType;
  /** The ssh-ed25519 key tag (base64 of SHA-256(wire key)[:4]); absent for X25519. */
  readonly tag?: string;
  /** The recipient's X25519 point, which salts the wrap key. */
  readonly point: Uint8Array;
  /** The point the ephemeral scalar multiplies (see the module comment). */
  readonly dhPoint: Uint8Array;
}

let probeKey: KeyObject | undefined;

const LABELS: Readonly<Record<PointStanzaType, string>> = {
  X25519: "age-encryption.org/v1/X25519",
  "ssh-ed25519": "age-encryption.org/v1/ssh-ed25519",
};

/** The wrap key of a stanza from its shared secret and share; the identities unwrap with it too. */
export function pointWrapKey(type: PointStanzaType, shared: Uint8Array, share: Uint8Array, point: Uint8Array): Uint8Array {
  return wrapKeyOfSalt(type, shared, concatBytes(share, point));
}

/** {@link pointWrapKey} from its salt, share || point, already in one buffer. */
function wrapKeyOfSalt(type: PointStanzaType, shared: Uint8Array, salt: Uint8Array): Uint8Array {
  return hkdf32(shared, salt, LABELS[type]);
}

/**
 * Wraps file keys to one {@link WrapTarget}; the key object of its DH point is imported once.
 * It is an age Recipient itself, and also spells its stanza out as text for apply's fast path.
 */
export class PointWrap {
  readonly #target: WrapTarget;
  readonly #dhKey: KeyObject;

  constructor(target: WrapTarget) {
    this.#target = target;
    this.#dhKey = x25519PublicKey(target.dhPoint);
  }

  /** Whether the DH point is of low order, so that every wrap to it would fail. */
  lowOrder(): boolean {
    // Any clamped scalar is a multiple of 8, so one random key per process tells: a point
    // whose order divides 8 gives the all-zero result for every key, any other point never.
    probeKey ??= ephemeralKeyPair().privateKey;
    return x25519(probeKey, this.#dhKey) === null;
  }

  /** One stanza wrapping `fileKey`, with a fresh ephemeral key. Throws if the target is of low order. */
  wrap(fileKey: Uint8Array): Stanza {
    const { share, body } = this.#wrapped(fileKey);
    return new Stanza(this.#args(share), body);
  }

  /** age's Recipient interface: one stanza. */
  wrapFileKey(fileKey: Uint8Array): Stanza[] {
    return [this.wrap(fileKey)];
  }

  /** The stanza {@link wrap} makes, spelled out as the header writes it, without a Stanza object. */
  stanzaText(fileKey: Uint8Array): string {
    const { share, body } = this.#wrapped(fileKey);
    return encodeStanza(this.#args(share), body);
  }

  /** The stanza's arguments: type, the ssh-ed25519 tag if any, and the ephemeral share. */
  #args(share: string): string[] {
    const { type, tag } = this.#target;
    return tag === undefined ? [type, share] : [type, tag, share];
  }

  #wrapped(fileKey: Uint8Array): { share: string; body: Uint8Array } {
    const { privateKey, share } = takeEphemeralKey();
    // The HKDF salt, share || point, with the share decoded straight into it from base64url.
    const salt = Buffer.allocUnsafe(2 * KEY_SIZE);
    if (salt.write(share, 0, KEY_SIZE, "base64url") !== KEY_SIZE) throw new Error("X25519: the ephemeral share is not 32 bytes");
    salt.set(this.#target.point, KEY_SIZE);
    const shared = x25519(privateKey, this.#dhKey);
    // Unreachable for a validated recipient, but never wrap with an all-zero secret.
    if (shared === null) throw new Error(`${this.#target.type} wrap produced a low-order shared secret`);
    const key = wrapKeyOfSalt(this.#target.type, shared, salt);
    shared.fill(0);
    try {
      return { share: base64NoPad(salt.subarray(0, KEY_SIZE)), body: wrapFileKey(key, fileKey) };
    } finally {
      key.fill(0);
    }
  }
}
