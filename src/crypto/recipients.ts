/**
 * Recipients as rekey sees them: an age Recipient plus the text and fingerprint that
 * provenance records and plans compare.
 */
import type { Recipient, Stanza } from "age-encryption";
import { bech32 } from "@scure/base";
import { RekeyError } from "../core/errors.js";
import { ownString } from "../core/names.js";
import { PluginRecipient, pluginNameOfRecipient } from "./plugin/keys.js";
import { hybridRecipient } from "./pq.js";
import { terminalPrompter, type KeyPrompter } from "./prompter.js";
import { looksLikeSshPublicKey, parseSshPublicKey } from "./ssh-key.js";
import { parseSshRsaPublicKey, SshRsaRecipient } from "./ssh-rsa.js";
import { ed25519PointToX25519, SshEd25519Recipient } from "./ssh-ed25519.js";
import { decodeX25519Recipient, encodeX25519Recipient, X25519Recipient } from "./x25519.js";
import type { WrapTarget } from "./point-wrap.js";

/** The stanza type a recipient writes. */
export type RecipientKind = "x25519" | "ssh-ed25519" | "ssh-rsa" | "mlkem768x25519" | "plugin";

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
   * "x25519:<its converted age1...>". Also "ssh-rsa:SHA256:...", "mlkem768x25519:age1pq1..."
   * and "plugin:age1<name>1...".
   */
  readonly fingerprint: string;
  /**
   * For "x25519" and "ssh-ed25519": the precomputed wrap parameters, plain data that an
   * encryption worker turns back into a wrap without parsing the key again.
   */
  readonly target?: WrapTarget;
}

/** Options of {@link parseRecipient}. */
export interface ParseRecipientOptions {
  /** For ssh-ed25519 keys: the native stanza (default), or the ssh-to-age X25519 conversion. */
  readonly stanza?: "native" | "x25519";
  /** For plugin recipients: answers the plugin (default: the terminal, or REKEY_ASKPASS). */
  readonly prompter?: KeyPrompter;
}

/** A recipient with its own copies of its text and fingerprint, often cut from a manifest's text, which would be kept whole. */
function rekeyRecipient(inner: Recipient & { readonly target?: WrapTarget }, kind: RecipientKind, text: string, fingerprint: string): RekeyRecipient {
  return new ParsedRecipient(inner, kind, ownString(text), ownString(fingerprint));
}

/**
 * A class, not an object literal with a getter: V8 keeps such a literal in dictionary mode,
 * ~450 bytes of properties per recipient, per host of a fleet.
 */
class ParsedRecipient implements RekeyRecipient {
  readonly #inner: Recipient & { readonly target?: WrapTarget };

  constructor(
    inner: Recipient & { readonly target?: WrapTarget },
    readonly kind: RecipientKind,
    readonly text: string,
    readonly fingerprint: string,
  ) {
    this.#inner = inner;
  }

  /** A getter: an ssh-ed25519 target costs a multiplication, paid only by runs that use it. */
  get target(): WrapTarget | undefined {
    return this.#inner.target;
  }

  wrapFileKey(fileKey: Uint8Array): Stanza[] | Promise<Stanza[]> {
    return this.#inner.wrapFileKey(fileKey);
  }
}

/**
 * Parses a recipient: "age1..." (X25519), "age1pq1..." (post-quantum hybrid), "age1<name>1..."
 * (an age plugin's recipient, wrapped by `age-plugin-<name>`), "ssh-ed25519 AAAA... [comment]"
 * (a native ssh-ed25519 stanza, or with `stanza: "x25519"` the ssh-to-age converted X25519
 * key), or "ssh-rsa AAAA... [comment]" (a native ssh-rsa stanza, RSA-OAEP).
 *
 * @throws RekeyError UNSUPPORTED_KEY_TYPE for ecdsa-*, sk-*, age1tag1... and other types, and
 * for ssh-rsa with stanza:"x25519" (the message names the type); BAD_KEY for bad encodings,
 * wrong lengths, points not on the curve, low-order points, RSA keys under 2048 bits and garbage.
 */
export function parseRecipient(text: string, options: ParseRecipientOptions = {}): RekeyRecipient {
  const t = text.trim();
  if (t.startsWith("age1")) {
    const hrp = otherAgeRecipientType(t);
    if (hrp === "age1pq") return rekeyRecipient(hybridRecipient(t), "mlkem768x25519", t, `mlkem768x25519:${t}`);
    const plugin = hrp === null || hrp.startsWith("age1tag") ? null : pluginNameOfRecipient(t);
    if (plugin !== null) {
      const prompter = options.prompter ?? terminalPrompter({ env: process.env });
      return rekeyRecipient(new PluginRecipient(plugin, t, prompter), "plugin", t, `plugin:${t}`);
    }
    if (hrp !== null) {
      throw new RekeyError("UNSUPPORTED_KEY_TYPE", `unsupported recipient type ${hrp}1... (tag recipient): supported are X25519 (age1...), post-quantum (age1pq1...), plugin (age1<name>1...), ssh-ed25519 and ssh-rsa`);
    }
    const point = decodeX25519Recipient(t);
    return rekeyRecipient(new X25519Recipient(point), "x25519", t, `x25519:${t}`);
  }
  if (looksLikeSshPublicKey(t) && t.split(/[ \t]+/)[0] === "ssh-rsa") {
    if (options.stanza === "x25519") throw new RekeyError("UNSUPPORTED_KEY_TYPE", "stanza: x25519 needs an ssh-ed25519 key: an ssh-rsa key has no X25519 form");
    const key = parseSshRsaPublicKey(t);
    return rekeyRecipient(new SshRsaRecipient(key), "ssh-rsa", key.text, `ssh-rsa:${key.sha256Fingerprint}`);
  }
  if (looksLikeSshPublicKey(t)) {
    const key = parseSshPublicKey(t);
    if (options.stanza === "x25519") {
      const age = encodeX25519Recipient(ed25519PointToX25519(key.point));
      return rekeyRecipient(new X25519Recipient(decodeX25519Recipient(age)), "x25519", key.text, `x25519:${age}`);
    }
    const inner = new SshEd25519Recipient(key);
    return new ParsedRecipient(inner, "ssh-ed25519", inner.text, ownString(`ssh-ed25519:${key.sha256Fingerprint}`)); // one copy of the text
  }
  throw new RekeyError("BAD_KEY", `not a recipient: "${t.length > 40 ? t.slice(0, 37) + "..." : t}" (expected age1..., ssh-ed25519 AAAA... or ssh-rsa AAAA...)`);
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
