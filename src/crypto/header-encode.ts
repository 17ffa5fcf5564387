/**
 * Writing the age header: stanzas, then the MAC line (C2SP age.md, "Header"). The MAC is
 * HMAC-SHA-256 keyed with HKDF(file key, info "header") over the header up to "---".
 */
import { createHmac, type Hmac } from "node:crypto";
import type { Stanza } from "age-encryption";
import { hkdf32 } from "./primitives.js";

const BODY_BYTES_PER_LINE = 48; // 64 base64 columns
const ARG = /^[\x21-\x7e]+$/;
const VERSION_LINE = "age-encryption.org/v1\n";
const EMPTY = new Uint8Array(0);

/** Encodes the full header, MAC line included, for these stanzas and this file key. */
export function encodeHeader(stanzas: readonly Stanza[], fileKey: Uint8Array): Uint8Array {
  let text = "";
  for (const s of stanzas) {
    // A foreign Recipient could hand us anything; a bad argument would make an unreadable file.
    if (s.args.length === 0 || !s.args.every((a) => ARG.test(a))) throw new Error(`invalid stanza arguments: ${JSON.stringify(s.args)}`);
    text += encodeStanza(s.args, s.body);
  }
  // A copy: the header may outlive the call, and Buffer.from's may share a pooled ArrayBuffer.
  return new Uint8Array(sealHeader(text, fileKey));
}

/**
 * The full header around stanzas already spelled out (see {@link encodeStanza}), whose
 * arguments are known to be valid: the version line, the stanzas, "---" and the MAC. The
 * result may be a view of Node's shared Buffer pool: write it, do not keep it.
 */
export function sealHeader(stanzaText: string, fileKey: Uint8Array): Buffer {
  const covered = `${VERSION_LINE}${stanzaText}---`;
  const mac = headerHmac(fileKey).update(covered, "latin1").digest("base64");
  return Buffer.from(`${covered} ${withoutPadding(mac)}\n`, "latin1");
}

/**
 * A stanza as the age header spells it (and the plugin protocol too): "-> args\n", then the
 * body in unpadded base64 lines of 64 columns, the last one shorter (empty if need be).
 */
export function encodeStanza(args: readonly string[], body: Uint8Array): string {
  let out = `-> ${args.join(" ")}\n`;
  for (let i = 0; i <= body.length; i += BODY_BYTES_PER_LINE) out += base64NoPad(body.subarray(i, i + BODY_BYTES_PER_LINE)) + "\n";
  return out;
}

/** The header MAC: HMAC-SHA-256 keyed with HKDF(file key, info "header") over the header up to "---". */
export function headerMacOf(fileKey: Uint8Array, covered: Uint8Array): Buffer {
  return headerHmac(fileKey).update(covered).digest();
}

/** An HMAC-SHA-256 keyed with HKDF(file key, info "header"), for the header's MAC. */
function headerHmac(fileKey: Uint8Array): Hmac {
  const macKey = hkdf32(fileKey, EMPTY, "header");
  const hmac = createHmac("sha256", macKey); // keeps its own copy of the key
  macKey.fill(0);
  return hmac;
}

/** Unpadded standard base64 (age's encoding), natively. */
export function base64NoPad(bytes: Uint8Array): string {
  return withoutPadding(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64"));
}

/** Base64 text without its "=" padding. */
export function withoutPadding(base64: string): string {
  const end = base64.indexOf("=");
  return end < 0 ? base64 : base64.slice(0, end);
}
