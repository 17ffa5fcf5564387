/**
 * Identity files: an age identity file (AGE-SECRET-KEY-… lines) or an unencrypted OpenSSH
 * ed25519 private key. `origin` is the path, used in messages only: no file I/O here.
 */
import type { Identity } from "age-encryption";
import { isRekeyError, RekeyError } from "../core/errors.js";
import { isOpenSshPrivateKey, isOtherPemPrivateKey, parseOpenSshPrivateKey } from "./openssh-private-key.js";
import { SshEd25519Identity } from "./ssh-ed25519.js";
import { decodeX25519Identity, X25519Identity } from "./x25519.js";
import { AGE_IDENTITY_PREFIX } from "./key-markers.js";

type ParsedKey = { readonly kind: "x25519"; readonly identity: X25519Identity } | { readonly kind: "ssh"; readonly identity: SshEd25519Identity; readonly recipient: string };

/**
 * Parses an identity file into age identities.
 *
 * - An age identity file: AGE-SECRET-KEY-… lines, "#" comments, blank lines, LF or CRLF.
 * - An OpenSSH ed25519 private key: a native ssh-ed25519 identity (it opens ssh-ed25519
 *   stanzas only, as age does, not X25519 stanzas of the converted key).
 *
 * @throws RekeyError ENCRYPTED_KEY (passphrase-protected key), UNSUPPORTED_KEY_TYPE (ssh-rsa
 * and other key types, plugin and post-quantum identities), BAD_KEY (anything else).
 */
export function parseIdentities(text: string, origin: string): Identity[] {
  return parseKeys(text, origin).map((k) => k.identity);
}

/** The public recipients of an identity file: "age1..." per X25519 key, "ssh-ed25519 AAAA..." for an OpenSSH key. */
export function identityRecipients(text: string, origin: string): string[] {
  return parseKeys(text, origin).map((k) => (k.kind === "x25519" ? k.identity.recipient : k.recipient));
}

function parseKeys(text: string, origin: string): ParsedKey[] {
  if (isOpenSshPrivateKey(text)) {
    const key = parseOpenSshPrivateKey(text, origin);
    return [{ kind: "ssh", identity: new SshEd25519Identity(key.seed, key.publicKey), recipient: key.publicKey.text }];
  }
  if (isOtherPemPrivateKey(text)) {
    const type = /-----BEGIN ([A-Z0-9 ]*?) ?PRIVATE KEY-----/.exec(text)?.[1] ?? "PEM";
    if (type.includes("ENCRYPTED") || text.includes("Proc-Type: 4,ENCRYPTED")) {
      throw new RekeyError("ENCRYPTED_KEY", `${origin}: passphrase-protected keys are not supported yet`, { file: origin });
    }
    throw new RekeyError("UNSUPPORTED_KEY_TYPE", `${origin}: unsupported private key type (${type || "PKCS #8"} PEM): only ssh-ed25519 and age X25519 identities are supported`, { file: origin });
  }
  const keys: ParsedKey[] = [];
  const lines = text.split("\n");
  for (const [i, raw] of lines.entries()) {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    const t = line.trim();
    if (t === "" || t.startsWith("#")) continue;
    const where = `${origin}:${i + 1}`;
    if (t.startsWith("AGE-PLUGIN-") || t.startsWith("AGE-SECRET-KEY-PQ-")) {
      throw new RekeyError("UNSUPPORTED_KEY_TYPE", `${where}: ${t.split("1")[0] ?? "this"}... identities are not supported yet: only AGE-SECRET-KEY-… and OpenSSH ed25519 keys are`, { file: origin });
    }
    if (!t.startsWith(AGE_IDENTITY_PREFIX)) {
      throw new RekeyError("BAD_KEY", `${where}: not an age identity (expected AGE-SECRET-KEY-… lines or an OpenSSH private key)`, { file: origin });
    }
    try {
      keys.push({ kind: "x25519", identity: new X25519Identity(decodeX25519Identity(t)) });
    } catch (e) {
      throw isRekeyError(e) ? new RekeyError(e.code, `${where}: ${e.message}`, { file: origin }) : e;
    }
  }
  if (keys.length === 0) throw new RekeyError("BAD_KEY", `${origin}: no identity found in the file`, { file: origin });
  return keys;
}
