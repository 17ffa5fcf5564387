/**
 * Writing the age header: stanzas, then the MAC line (C2SP age.md, "Header"). The MAC is
 * HMAC-SHA-256 keyed with HKDF(file key, info "header") over the header up to "---".
 */
import { createHmac } from "node:crypto";
import type { Stanza } from "age-encryption";
import { hkdf32 } from "./primitives.js";

const BODY_BYTES_PER_LINE = 48; // 64 base64 columns
const ARG = /^[\x21-\x7e]+$/;

/** Encodes the full header, MAC line included, for these stanzas and this file key. */
export function encodeHeader(stanzas: readonly Stanza[], fileKey: Uint8Array): Uint8Array {
  const lines: string[] = ["age-encryption.org/v1\n"];
  for (const s of stanzas) {
    // A foreign Recipient could hand us anything; a bad argument would make an unreadable file.
    if (s.args.length === 0 || !s.args.every((a) => ARG.test(a))) throw new Error(`invalid stanza arguments: ${JSON.stringify(s.args)}`);
    lines.push(encodeStanza(s.args, s.body));
  }
  lines.push("---");
  const noMac = Buffer.from(lines.join(""), "latin1");
  return new Uint8Array(Buffer.concat([noMac, Buffer.from(` ${base64NoPad(headerMacOf(fileKey, noMac))}\n`, "latin1")]));
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
  const macKey = hkdf32(fileKey, new Uint8Array(0), "header");
  const mac = createHmac("sha256", macKey).update(covered).digest();
  macKey.fill(0);
  return mac;
}

/** Unpadded standard base64 (age's encoding), natively. */
export function base64NoPad(bytes: Uint8Array): string {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
  const end = text.indexOf("=");
  return end < 0 ? text : text.slice(0, end);
}
