/**
 * The native age "ssh-ed25519" stanza (filippo.io/age/agessh), so that a host decrypts its
 * secrets with `age -d -i /etc/ssh/ssh_host_ed25519_key`.
 *
 *   tag    = base64(SHA-256(ssh wire key)[:4])
 *   tweak  = HKDF-SHA-256(ikm = "", salt = ssh wire key, info = LABEL)
 *   shared = X25519(tweak, X25519(ephemeral, pk_x25519))
 *   key    = HKDF-SHA-256(shared, salt = share || pk_x25519, info = LABEL)
 *   stanza = "-> ssh-ed25519 <tag> <share>" with body ChaCha20-Poly1305(key, zero nonce, file key)
 *
 * pk_x25519 is the Montgomery form of the Ed25519 point, and the identity's scalar is
 * SHA-512(seed)[:32] (clamped by X25519).
 */
import type { KeyObject } from "node:crypto";
import { base64nopad } from "@scure/base";
import type { Identity, Recipient } from "age-encryption";
import type { Stanza } from "./stanza.js";
import { montgomeryU, type SshEd25519PublicKey } from "./ssh-key.js";
import { hkdf32, rawPublicKey, sha256, sha512, unwrapFileKey, WRAPPED_KEY_SIZE, x25519, x25519PrivateKey, x25519PublicKey } from "./primitives.js";
import { PointWrap, pointWrapKey, type WrapTarget } from "./point-wrap.js";
import { decodeShare, malformed } from "./x25519.js";
import { ownString } from "../core/names.js";

const LABEL = "age-encryption.org/v1/ssh-ed25519";
const TYPE = "ssh-ed25519";

/** The Montgomery u-coordinate of an Ed25519 point (validated if it was not yet); throws BAD_KEY. */
export function ed25519PointToX25519(point: Uint8Array): Uint8Array {
  return montgomeryU(point, "invalid ssh-ed25519 key");
}

/** The unclamped X25519 scalar of an Ed25519 seed: SHA-512(seed)[:32]. */
export function ed25519SeedToX25519(seed: Uint8Array): Uint8Array {
  return sha512(seed).slice(0, 32);
}

/** The per-key constants shared by the recipient and the identity, computed once. */
class SshKeyConstants {
  readonly tag: string;
  readonly #edPoint: Uint8Array;
  #point: Uint8Array | undefined;
  readonly #wire: Uint8Array;
  #tweak: KeyObject | undefined;

  constructor(key: Pick<SshEd25519PublicKey, "point" | "wire">) {
    this.tag = base64nopad.encode(sha256(key.wire).subarray(0, 4));
    this.#edPoint = key.point;
    this.#wire = key.wire;
  }

  /**
   * The key's X25519 point, converted on first use: a plan or a check parses every host key
   * and never wraps, and the conversion is an inversion (~40 µs in JavaScript).
   */
  get point(): Uint8Array {
    this.#point ??= ed25519PointToX25519(this.#edPoint);
    return this.#point;
  }

  /**
   * The tweak scalar as a key object, imported on first use and kept: an identity unwraps
   * with it for every stanza addressed to it.
   */
  get tweak(): KeyObject {
    this.#tweak ??= this.tweakOnce();
    return this.#tweak;
  }

  /**
   * The tweak scalar as a fresh key object, not kept: a recipient needs it once, for
   * tweak·pk, and a key object holds ~1 KiB of native memory, per host of a fleet.
   */
  tweakOnce(): KeyObject {
    const scalar = hkdf32(new Uint8Array(0), this.#wire, LABEL);
    try {
      return x25519PrivateKey(scalar);
    } finally {
      scalar.fill(0);
    }
  }

  /** The wrap key from X25519(ours, theirs) and the stanza's share; null if low-order. */
  wrapKey(dh: Uint8Array | null, share: Uint8Array): Uint8Array | null {
    if (dh === null) return null;
    const shared = x25519(this.tweak, x25519PublicKey(dh));
    return shared === null ? null : pointWrapKey(TYPE, shared, share, this.point);
  }
}

/**
 * A native ssh-ed25519 recipient. agessh computes X25519(tweak, X25519(ephemeral, pk)); scalar
 * multiplication commutes, so that is X25519(ephemeral, X25519(tweak, pk)), and tweak·pk is
 * computed once per recipient: a wrap costs two multiplications (the ephemeral share and one
 * shared secret) instead of three, for the same stanza. The interop tests decrypt the
 * outputs with the age CLI.
 */
export class SshEd25519Recipient implements Recipient {
  /**
   * The key's normalized text ("ssh-ed25519 AAAA...", its own copy), all a recipient keeps:
   * one is held per host of a fleet for the whole run. Its point was validated when it was
   * parsed; see target.
   */
  readonly text: string;
  #wrap: PointWrap | undefined;

  /** @param key - a parsed, validated ssh-ed25519 public key. */
  constructor(key: SshEd25519PublicKey) {
    this.text = ownString(key.text);
  }

  /**
   * What a wrap needs, tweak·pk included, computed on each call (the key decoded from its
   * text, a conversion and a multiplication) and not kept: apply asks once per host while it
   * is in use (encrypt-pool.ts keeps the ones in use).
   */
  get target(): WrapTarget {
    // The text is "ssh-ed25519 " and the base64 of the wire key, whose last 32 bytes are the point.
    const wire = new Uint8Array(Buffer.from(this.text.slice(this.text.indexOf(" ") + 1), "base64"));
    const c = new SshKeyConstants({ wire, point: wire.subarray(wire.length - 32) });
    const tweaked = x25519(c.tweakOnce(), x25519PublicKey(c.point));
    if (tweaked === null) throw new Error("ssh-ed25519 recipient of low order");
    return { type: TYPE, tag: c.tag, point: c.point, dhPoint: tweaked };
  }

  /** Wraps the file key in one "ssh-ed25519" stanza. */
  wrapFileKey(fileKey: Uint8Array): Stanza[] {
    this.#wrap ??= new PointWrap(this.target);
    return [this.#wrap.wrap(fileKey)];
  }
}

/**
 * A native ssh-ed25519 identity. Returns null for stanzas of other types or whose tag is not
 * this key's; throws NOT_AGE_FILE for a stanza with this key's tag that is malformed or does
 * not open (as age does: the tag says it is ours).
 */
export class SshEd25519Identity implements Identity {
  readonly #c: SshKeyConstants;
  readonly #key: KeyObject;

  /** @param seed - the 32-byte Ed25519 seed; @param publicKey - its public key. */
  constructor(seed: Uint8Array, publicKey: SshEd25519PublicKey) {
    this.#c = new SshKeyConstants(publicKey);
    this.#key = x25519PrivateKey(ed25519SeedToX25519(seed));
    if (!rawPublicKey(this.#key).every((b, i) => b === this.#c.point[i])) {
      throw new Error("ssh-ed25519 identity: the seed does not match the public key");
    }
  }

  /** See the class comment for the contract. */
  unwrapFileKey(stanzas: Stanza[]): Uint8Array | null {
    for (const s of stanzas) {
      if (s.args[0] !== TYPE || s.args[1] !== this.#c.tag) continue;
      const share = s.args.length === 3 ? decodeShare(s.args[2] ?? "") : null;
      if (share === null) throw malformed(TYPE, "its share is not one 32-byte base64 argument");
      if (s.body.length !== WRAPPED_KEY_SIZE) throw malformed(TYPE, "its body is not a 16-byte wrapped file key");
      const key = this.#c.wrapKey(x25519(this.#key, x25519PublicKey(share)), share);
      if (key === null) throw malformed(TYPE, "its share is a low-order point");
      const fileKey = unwrapFileKey(key, s.body);
      if (fileKey === null) throw malformed(TYPE, "the wrapped file key does not decrypt with this key");
      return fileKey;
    }
    return null;
  }
}
