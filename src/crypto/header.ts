/**
 * Reading the age header (C2SP age.md, "Header") without decrypting anything, strictly:
 * what this accepts, age and typage accept too. `plan` and `check` call it on thousands of
 * files, so it scans bytes once, linearly, and decodes no stanza bodies ({@link headerStanzas}
 * does, for decryption).
 */
import { base64nopad } from "@scure/base";
import { decodeArmor } from "./armor.js";
import { RekeyError } from "../core/errors.js";
import { Stanza } from "./stanza.js";

/** The parsed header of an age file. */
export interface AgeHeader {
  /** The file is ASCII-armored (PEM "AGE ENCRYPTED FILE"). */
  readonly armored: boolean;
  /** Recipient stanzas in file order: `type` is the first stanza argument, `args` the rest. */
  readonly stanzas: readonly { readonly type: string; readonly args: readonly string[] }[];
  /** Length in bytes of the binary header, MAC line included (of the de-armored file if armored). */
  readonly headerLength: number;
}

const VERSION_LINE = "age-encryption.org/v1\n";
const ARMOR_BEGIN = "-----BEGIN AGE ENCRYPTED FILE-----";
const NONCE_SIZE = 16;
const MAX_BODY_LINE = 64;
const MAC_CHARS = 43; // 32 bytes, unpadded base64

/** True if the bytes start like an age file: the v1 version line, or the armor begin line after optional whitespace. */
export function looksLikeAgeFile(file: Uint8Array): boolean {
  return startsWith(file, 0, VERSION_LINE) || startsWith(file, skipWhitespace(file), ARMOR_BEGIN);
}

/**
 * Parses the header of a binary or armored age file, without decrypting.
 *
 * @throws RekeyError NOT_AGE_FILE (not age, bad armor, malformed header) or TRUNCATED (the
 * file ends inside the header or before the payload nonce).
 */
export function readHeader(file: Uint8Array): AgeHeader {
  return parseAgeFile(file).header;
}

/** The binary form of an age file (de-armored if needed) and its parsed header. */
export function parseAgeFile(file: Uint8Array): { readonly binary: Uint8Array; readonly header: AgeHeader } {
  const armored = !startsWith(file, 0, "age-encryption.org/") && startsWith(file, skipWhitespace(file), ARMOR_BEGIN);
  const binary = armored ? dearmor(file) : file;
  const { stanzas, headerLength } = parseBinaryHeader(binary);
  return { binary, header: { armored, stanzas, headerLength } };
}

function dearmor(file: Uint8Array): Uint8Array {
  try {
    return decodeArmor(Buffer.from(file.buffer, file.byteOffset, file.byteLength).toString("latin1"));
  } catch (e) {
    throw notAge(`invalid ASCII armor (${e instanceof Error ? e.message : String(e)})`);
  }
}

function parseBinaryHeader(b: Uint8Array): { stanzas: AgeHeader["stanzas"]; headerLength: number } {
  if (b.length === 0) throw notAge("the file is empty");
  if (!startsWith(b, 0, VERSION_LINE.slice(0, Math.min(b.length, VERSION_LINE.length)))) {
    throw startsWith(b, 0, "age-encryption.org/") ? notAge("unsupported age format version") : notAge("it starts with neither \"age-encryption.org/v1\" nor an armor line");
  }
  if (b.length < VERSION_LINE.length) throw truncated();
  const stanzas: { type: string; args: string[] }[] = [];
  let p = VERSION_LINE.length;
  for (;;) {
    const end = lineEnd(b, p);
    if (b[p] === 0x2d && b[p + 1] === 0x2d && b[p + 2] === 0x2d) {
      // "--- " MAC: exactly 43 canonical base64 characters.
      if (end - p !== 4 + MAC_CHARS || b[p + 3] !== 0x20 || !isCanonicalBase64(b, p + 4, end)) {
        throw notAge("malformed header MAC line");
      }
      const headerLength = end + 1;
      if (b.length - headerLength < NONCE_SIZE) throw truncated("the file ends before the payload");
      return { stanzas, headerLength };
    }
    if (b[p] !== 0x2d || b[p + 1] !== 0x3e || b[p + 2] !== 0x20) throw notAge("expected a stanza (\"-> \") or the MAC line (\"---\")");
    const args = latin1(b, p + 3, end).split(" ");
    if (args.some((a) => a.length === 0)) throw notAge("stanza with an empty argument");
    const [type = "", ...rest] = args;
    stanzas.push({ type, args: rest });
    p = end + 1;
    for (;;) {
      const e = lineEnd(b, p);
      if (e - p > MAX_BODY_LINE || !isCanonicalBase64(b, p, e)) throw notAge(`malformed body in ${type} stanza`);
      const full = e - p === MAX_BODY_LINE;
      p = e + 1;
      if (!full) break;
    }
  }
}

/** Index of the next "\n" at or after p; checks the line is printable ASCII; TRUNCATED at EOF. */
function lineEnd(b: Uint8Array, p: number): number {
  for (let i = p; i < b.length; i++) {
    const c = b[i] as number;
    if (c === 0x0a) return i;
    if (c < 0x20 || c > 0x7e) throw notAge("invalid character in header");
  }
  throw truncated();
}

const B64 = new Int8Array(128).fill(-1);
for (const [i, c] of [..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"].entries()) B64[c.charCodeAt(0)] = i;

/** Unpadded standard base64 whose unused trailing bits are zero (canonical). */
function isCanonicalBase64(b: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if ((B64[b[i] as number] ?? -1) < 0) return false;
  const rem = (end - start) % 4;
  if (rem === 1) return false;
  const last = B64[b[end - 1] as number] ?? 0;
  return rem === 0 || (rem === 2 ? (last & 0x0f) === 0 : (last & 0x03) === 0);
}

function latin1(b: Uint8Array, start: number, end: number): string {
  return Buffer.from(b.buffer, b.byteOffset + start, end - start).toString("latin1");
}

function startsWith(b: Uint8Array, at: number, prefix: string): boolean {
  if (b.length - at < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (b[at + i] !== prefix.charCodeAt(i)) return false;
  return true;
}

function skipWhitespace(b: Uint8Array): number {
  let i = 0;
  while (i < b.length && (b[i] === 0x20 || b[i] === 0x09 || b[i] === 0x0a || b[i] === 0x0d)) i++;
  return i;
}

function notAge(why: string): RekeyError {
  return new RekeyError("NOT_AGE_FILE", `not a valid age file: ${why}`);
}

function truncated(why = "the file ends inside the header"): RekeyError {
  return new RekeyError("TRUNCATED", `truncated age file: ${why}`);
}

/** The stanzas, bodies included, of a binary header that {@link parseAgeFile} accepted. */
export function headerStanzas(header: Uint8Array): Stanza[] {
  const lines = Buffer.from(header.buffer, header.byteOffset, header.byteLength).toString("latin1").split("\n");
  const stanzas: Stanza[] = [];
  let i = 1; // after the version line
  while (i < lines.length && lines[i]!.startsWith("-> ")) {
    const args = lines[i]!.slice(3).split(" ");
    const body: Uint8Array[] = [];
    for (i++; i < lines.length; i++) {
      const line = lines[i]!;
      body.push(base64nopad.decode(line));
      if (line.length < 64) break;
    }
    i++;
    stanzas.push(new Stanza(args, new Uint8Array(Buffer.concat(body))));
  }
  return stanzas;
}

/** The header up to and including "---" (what the MAC covers), and the 32-byte MAC, of a binary header {@link parseAgeFile} accepted. */
export function headerMac(header: Uint8Array): { readonly covered: Uint8Array; readonly mac: Uint8Array } {
  const macStart = header.length - 1 - MAC_CHARS; // "--- " + 43 characters + "\n"
  return { covered: header.subarray(0, macStart - 1), mac: base64nopad.decode(latin1(header, macStart, header.length - 1)) };
}
