import { describe, expect, it } from "vitest";
import { armor, Stanza, type Recipient } from "age-encryption";
import { RekeyError, type ErrorCode } from "../../src/core/errors.js";
import { decrypt, encrypt, generateX25519Identity, looksLikeAgeFile, parseIdentities, parseRecipient, readHeader, x25519RecipientOf } from "../../src/crypto/index.js";

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const identity = generateX25519Identity();
const recipient = parseRecipient(x25519RecipientOf(identity));

function codeOf(f: () => unknown): ErrorCode | "no error" {
  try {
    f();
    return "no error";
  } catch (e) {
    if (e instanceof RekeyError) return e.code;
    throw e;
  }
}

/** A recipient that adds many opaque stanzas next to a real one. */
function noisy(count: number): Recipient {
  return {
    wrapFileKey: (fileKey) => [
      ...(recipient.wrapFileKey(fileKey) as Stanza[]),
      ...Array.from({ length: count }, (_, i) => new Stanza([`example.com/noise`, String(i)], new Uint8Array(i % 97))),
    ],
  };
}

describe("readHeader", () => {
  it("reads the stanzas of binary and armored files", async () => {
    const ssh = parseRecipient("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOHz+U0YtjINc54dZiJNclfmEFifF7RXCFlNlTbuZBji");
    for (const armored of [false, true]) {
      const file = await encrypt(enc("x"), [ssh, recipient], { armor: armored });
      const h = readHeader(file);
      expect(h.armored).toBe(armored);
      expect(h.stanzas.map((s) => s.type)).toEqual(["ssh-ed25519", "X25519"]);
      expect(h.stanzas[0]?.args[0]).toBe("wEPu5w"); // SHA-256(wire key)[:4], like age
      expect(h.stanzas[1]?.args).toHaveLength(1);
      const binary = armored ? armor.decode(new TextDecoder().decode(file)) : file;
      expect(new TextDecoder().decode(binary.subarray(h.headerLength - 49, h.headerLength))).toMatch(/^\n--- [A-Za-z0-9+/]{43}\n$/);
    }
  });

  it("reads a 10,000-stanza header quickly, and the file still decrypts", async () => {
    const file = await encrypt(enc("many"), [noisy(9_999)]);
    const start = performance.now();
    const h = readHeader(file);
    const elapsed = performance.now() - start;
    expect(h.stanzas).toHaveLength(10_000);
    expect(h.stanzas[9_999]).toEqual({ type: "example.com/noise", args: ["9998"] });
    expect(elapsed).toBeLessThan(250);
    expect(new TextDecoder().decode(await decrypt(file, parseIdentities(identity, "id")))).toBe("many");
  });

  it("types errors for empty, junk, truncated and malformed input", async () => {
    const file = await encrypt(enc("hello"), [recipient]);
    const h = readHeader(file);
    expect(codeOf(() => readHeader(new Uint8Array(0)))).toBe("NOT_AGE_FILE");
    expect(codeOf(() => readHeader(enc("password=hunter2\n")))).toBe("NOT_AGE_FILE");
    expect(codeOf(() => readHeader(Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)))).toBe("NOT_AGE_FILE");
    expect(codeOf(() => readHeader(enc("age-encryption.org/v2\n")))).toBe("NOT_AGE_FILE");
    expect(codeOf(() => readHeader(enc("-----BEGIN AGE ENCRYPTED FILE-----\nnot base64!\n")))).toBe("NOT_AGE_FILE");
    for (const cut of [5, 22, 40, h.headerLength - 1, h.headerLength, h.headerLength + 15]) {
      expect(codeOf(() => readHeader(file.subarray(0, cut))), `cut at ${cut}`).toBe("TRUNCATED");
    }
    expect(codeOf(() => readHeader(file.subarray(0, h.headerLength + 16)))).toBe("no error");
  });
});

describe("looksLikeAgeFile", () => {
  it("recognizes binary and armored files by their prefix only", () => {
    expect(looksLikeAgeFile(enc("age-encryption.org/v1\n"))).toBe(true);
    expect(looksLikeAgeFile(enc(" \r\n\t-----BEGIN AGE ENCRYPTED FILE-----\n"))).toBe(true);
    expect(looksLikeAgeFile(enc(" age-encryption.org/v1\n"))).toBe(false);
    expect(looksLikeAgeFile(enc("age-encryption.org/v1"))).toBe(false);
    expect(looksLikeAgeFile(enc("secret"))).toBe(false);
    expect(looksLikeAgeFile(new Uint8Array(0))).toBe(false);
  });
});
