/**
 * Recipients as rekey sees them: an age Recipient plus the text and fingerprint that
 * provenance records and plans compare.
 */
import type { Recipient, Stanza } from "age-encryption";
import { bech32 } from "@scure/base";
import { RekeyError } from "../core/errors.js";
import { looksLikeSshPublicKey, parseSshPublicKey } from "./ssh-key.js";
import { ed25519PointToX25519, SshEd25519Recipient } from "./ssh-ed25519.js";
import { decodeX25519Recipient, encodeX25519Recipient, X25519Recipient } from "./x25519.js";

/** The stanza type a recipient writes. */
export type RecipientKind = "x25519" | "ssh-ed25519";

/** An age recipient with the identity rekey records for it. */
export interface RekeyRecipient extends Recipient {
  /** The stanza it writes ("x25519" also for ssh keys converted with stanza:"x25519"). */
  readonly kind: RecipientKind;
  /**
   * Normalized recipient text: "age1..." or "ssh-ed25519 AAAA..." (no comment). An ssh key
   * parsed with stanza:"x25519" keeps its ssh text; its fingerprint tells the stanza.
   */
  readonly text: string;
  /**
   * Stable id of key material and stanza kind: "x25519:age1..." or
   * "ssh-ed25519:SHA256:<base64, as ssh-keygen -l>"; an ssh key with stanza:"x25519" gives
   * "x25519:<its converted age1...>".
   */
  readonly fingerprint: string;
}

/** Options of {@link parseRecipient}. */
export interface ParseRecipientOptions {
  /** For ssh-ed25519 keys: the native stanza (default), or the ssh-to-age X25519 conversion. */
  readonly stanza?: "native" | "x25519";
}

function rekeyRecipient(inner: Recipient, kind: RecipientKind, text: string, fingerprint: string): RekeyRecipient {
  return {
    kind,
    text,
    fingerprint,
    wrapFileKey: (fileKey: Uint8Array): Stanza[] | Promise<Stanza[]> => inner.wrapFileKey(fileKey),
  };
}

/**
 * Parses a recipient: "age1..." (X25519) or "ssh-ed25519 AAAA... [comment]" (a native
 * ssh-ed25519 stanza, or with `stanza: "x25519"` the ssh-to-age converted X25519 key).
 *
 * @throws RekeyError UNSUPPORTED_KEY_TYPE for ssh-rsa, ecdsa-*, sk-*, age1pq1... and other
 * types (the message names the type); BAD_KEY for bad encodings, wrong lengths, points not
 * on the curve, low-order points and garbage.
 */
export function parseRecipient(text: string, options: ParseRecipientOptions = {}): RekeyRecipient {
  const t = text.trim();
  if (t.startsWith("age1")) {
    const hrp = otherAgeRecipientType(t);
    if (hrp !== null) {
      throw new RekeyError("UNSUPPORTED_KEY_TYPE", `unsupported recipient type ${hrp}1... (post-quantum, tag or plugin recipient): only X25519 (age1...) and ssh-ed25519 are supported`);
    }
    const point = decodeX25519Recipient(t);
    return rekeyRecipient(new X25519Recipient(point), "x25519", t, `x25519:${t}`);
  }
  if (looksLikeSshPublicKey(t)) {
    const key = parseSshPublicKey(t);
    if (options.stanza === "x25519") {
      const age = encodeX25519Recipient(ed25519PointToX25519(key.point));
      return rekeyRecipient(new X25519Recipient(decodeX25519Recipient(age)), "x25519", key.text, `x25519:${age}`);
    }
    return rekeyRecipient(new SshEd25519Recipient(key), "ssh-ed25519", key.text, `ssh-ed25519:${key.sha256Fingerprint}`);
  }
  throw new RekeyError("BAD_KEY", `not a recipient: "${t.length > 40 ? t.slice(0, 37) + "..." : t}" (expected age1... or ssh-ed25519 AAAA...)`);
}

/** The human-readable part of a valid bech32 "age1<type>1..." recipient that is not X25519. */
function otherAgeRecipientType(text: string): string | null {
  const sep = text.lastIndexOf("1");
  if (sep <= 3) return null;
  try {
    bech32.decode(text as `${string}1${string}`, false);
  } catch {
    return null;
  }
  return text.slice(0, sep);
}
