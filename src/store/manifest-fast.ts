/**
 * The common shape of a fleet manifest, read without the YAML parser:
 *
 * ```yaml
 * # comments and blank lines
 * pubkey: ssh-ed25519 AAAA... root@web1     # (no trailing comment)
 * stanza: x25519                            # optional
 * secrets:
 *   db-password: {}
 *   tls/web.key:
 * ```
 *
 * A cold YAML parse costs about 2 ms per manifest, most of a no-op `plan` on a fleet of
 * hundreds of hosts. Anything outside this narrow grammar (quotes, flow settings, globs,
 * trailing comments, CRLF, names YAML would read as anything but a string) returns null,
 * and the full YAML path judges it, with every error positioned.
 */
import type { StanzaMode } from "../core/model.js";

/** A manifest in the simple shape, with the 1-based line of each entry. */
export interface SimpleManifest {
  readonly pubkey: { readonly text: string; readonly line: number };
  readonly stanza: StanzaMode;
  readonly secrets: readonly { readonly name: string; readonly line: number }[];
}

const TOP = /^(pubkey|stanza|secrets):(?: +(\S(?:.*\S)?))? *$/;
const ENTRY = /^ {2}([A-Za-z_][A-Za-z0-9._/-]*):(?: +\{\})? *$/;
// '@' (as in "root@web1") is an indicator only as a plain scalar's first character, and the
// key type comes first here, so it is allowed inside; the other indicators stay refused.
const KEY_TEXT = /^(?:ssh-ed25519|ssh-rsa|age1)[^#'"{}[\],&*!|>%`\t]*$/;
// Words YAML's core schema reads as booleans or null.
const SPECIAL = /^(?:true|false|null|yes|no|on|off|y|n)$/i;

/** Reads `text` if it has the simple shape, else returns null. */
export function parseSimpleManifest(text: string): SimpleManifest | null {
  if (text.includes("\r") || text.includes("\t")) return null;
  const lines = text.split("\n");
  let pubkey: SimpleManifest["pubkey"] | undefined;
  let stanza: StanzaMode | undefined;
  let secrets: { name: string; line: number }[] | undefined;
  const seen = new Set<string>();
  let inSecrets = false;
  for (const [i, line] of lines.entries()) {
    if (line.trim() === "" || line.startsWith("#")) continue;
    if (inSecrets && line.startsWith("  ")) {
      const m = ENTRY.exec(line);
      if (m === null || SPECIAL.test(m[1]!) || seen.has(m[1]!)) return null;
      seen.add(m[1]!);
      secrets!.push({ name: m[1]!, line: i + 1 });
      continue;
    }
    inSecrets = false;
    const m = TOP.exec(line);
    if (m === null) return null;
    const [, key, value] = m;
    if (key === "pubkey") {
      if (pubkey !== undefined || value === undefined || !KEY_TEXT.test(value) || value.includes(": ") || value.endsWith(":")) return null;
      pubkey = { text: value, line: i + 1 };
    } else if (key === "stanza") {
      if (stanza !== undefined || (value !== "native" && value !== "x25519")) return null;
      stanza = value;
    } else {
      if (secrets !== undefined || value !== undefined) return null;
      secrets = [];
      inSecrets = true;
    }
  }
  if (pubkey === undefined) return null;
  return { pubkey, stanza: stanza ?? "native", secrets: secrets ?? [] };
}
