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
import { base64NoPad } from "./header-encode.js";
import { Stanza } from "./stanza.js";
import { concatBytes, ephemeralKeyPair, hkdf32, wrapFileKey, x25519, x25519PublicKey } from "./primitives.js";

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

const LABELS: Readonly<Record<PointStanzaType, string>> = {
  X25519: "age-encryption.org/v1/X25519",
  "ssh-ed25519": "age-encryption.org/v1/ssh-ed25519",
};

/** The wrap key of a stanza from its shared secret and share; the identities unwrap with it too. */
export function pointWrapKey(type: PointStanzaType, shared: Uint8Array, share: Uint8Array, point: Uint8Array): Uint8Array {
  return hkdf32(shared, concatBytes(share, point), LABELS[type]);
}

/** Wraps file keys to one {@link WrapTarget}; the key object of its DH point is imported once. */
export class PointWrap {
  readonly #target: WrapTarget;
  readonly #dhKey: KeyObject;

  constructor(target: WrapTarget) {
    this.#target = target;
    this.#dhKey = x25519PublicKey(target.dhPoint);
  }

  /** Whether the DH point is of low order, so that every wrap to it would fail. */
  lowOrder(): boolean {
    return x25519(ephemeralKeyPair().privateKey, this.#dhKey) === null;
  }

  /** One stanza wrapping `fileKey`, with a fresh ephemeral key. Throws if the target is of low order. */
  wrap(fileKey: Uint8Array): Stanza {
    const { type, tag, point } = this.#target;
    const { privateKey, share } = ephemeralKeyPair();
    const shared = x25519(privateKey, this.#dhKey);
    // Unreachable for a validated recipient, but never wrap with an all-zero secret.
    if (shared === null) throw new Error(`${type} wrap produced a low-order shared secret`);
    const args = tag === undefined ? [type, base64NoPad(share)] : [type, tag, base64NoPad(share)];
    return new Stanza(args, wrapFileKey(pointWrapKey(type, shared, share, point), fileKey));
  }
}
