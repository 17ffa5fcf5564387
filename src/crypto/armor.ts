/**
 * The age ASCII armor (C2SP age.md, "ASCII armor"): a strict subset of PEM with the label
 * AGE ENCRYPTED FILE, 64-column base64 lines, whitespace allowed around it and LF or CRLF
 * line ends. Written here rather than taken from typage, whose armor module loads all of
 * typage: `rekey check` reads armored sources and must start fast.
 */
import { base64 } from "@scure/base";

const BEGIN = "-----BEGIN AGE ENCRYPTED FILE-----";
const END = "-----END AGE ENCRYPTED FILE-----";

/** Armors a binary age file (48 bytes, 64 characters, a line; final newline). */
export function encodeArmor(file: Uint8Array): string {
  const lines = [BEGIN];
  for (let i = 0; i < file.length; i += 48) lines.push(base64.encode(file.subarray(i, i + 48)));
  lines.push(END);
  return lines.join("\n") + "\n";
}

/** Decodes an armored age file; throws an Error saying what is wrong. */
export function decodeArmor(text: string): Uint8Array {
  const lines = text.trim().replaceAll("\r\n", "\n").split("\n");
  if (lines.shift() !== BEGIN) throw new Error("invalid armor header line");
  if (lines.pop() !== END) throw new Error("invalid armor footer line");
  if (lines.length === 0) throw new Error("no armored data");
  lines.forEach((line, i) => {
    const last = i === lines.length - 1;
    const ok = last ? line.length > 0 && line.length <= 64 && line.length % 4 === 0 : line.length === 64;
    if (!ok) throw new Error(`armor line ${i + 2} has the wrong length`);
    if (!/^[A-Za-z0-9+/=]+$/.test(line)) throw new Error(`armor line ${i + 2} is not base64`);
  });
  return base64.decode(lines.join(""));
}
