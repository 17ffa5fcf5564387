import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { bech32 } from "@scure/base";
import { describe, expect, it } from "vitest";
import { RekeyError, type ErrorCode } from "../../src/core/errors.js";
import {
  decrypt,
  encrypt,
  generateX25519Identity,
  identityRecipients,
  parseIdentities,
  parseRecipient,
  x25519RecipientOf,
} from "../../src/crypto/index.js";

const fixture = (name: string): string => readFileSync(fileURLToPath(new URL(`../fixtures/crypto/${name}`, import.meta.url)), "utf8");
const ED_PUB = fixture("id_ed25519.pub").trim();
const ED_PRIV = fixture("id_ed25519");
const AGE_IDS = fixture("age-identities.txt");
const [AGE_RECIPIENT] = /age1[a-z0-9]{58}/.exec(AGE_IDS) ?? [""];
const sshBlob = (type: string, key: Uint8Array): string => {
  const t = Buffer.from(type);
  const out = Buffer.alloc(8 + t.length + key.length);
  out.writeUInt32BE(t.length, 0);
  t.copy(out, 4);
  out.writeUInt32BE(key.length, 4 + t.length);
  Buffer.from(key).copy(out, 8 + t.length);
  return `${type} ${out.toString("base64")}`;
};

function codeOf(f: () => unknown): ErrorCode | "no error" | "not a RekeyError" {
  try {
    f();
    return "no error";
  } catch (e) {
    return e instanceof RekeyError ? e.code : "not a RekeyError";
  }
}

describe("parseRecipient", () => {
  it("parses an ssh-ed25519 key as a native stanza recipient, with ssh-keygen's fingerprint", () => {
    const r = parseRecipient(`${ED_PUB}`);
    expect(r.kind).toBe("ssh-ed25519");
    expect(r.text).toBe(ED_PUB.split(" ").slice(0, 2).join(" "));
    // ssh-keygen -lf test/fixtures/crypto/id_ed25519.pub
    expect(r.fingerprint).toMatch(/^ssh-ed25519:SHA256:[A-Za-z0-9+/]{43}$/);
  });

  it("matches ssh-keygen -l for the ssh-to-age test key", () => {
    const r = parseRecipient(fixture("mic92-id_ed25519.pub"));
    expect(r.fingerprint).toBe("ssh-ed25519:SHA256:wEPu5zkkhaJZhOM5BFhVJnRbJC7OEuRKz/lt2XCrN8I");
  });

  it("converts an ssh key with stanza x25519 and fingerprints the converted key", () => {
    const r = parseRecipient(fixture("mic92-id_ed25519.pub"), { stanza: "x25519" });
    expect(r.kind).toBe("x25519");
    expect(r.text).toBe("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOHz+U0YtjINc54dZiJNclfmEFifF7RXCFlNlTbuZBji");
    expect(r.fingerprint).toMatch(/^x25519:age1[a-z0-9]{58}$/);
  });

  it("parses an age1 recipient", () => {
    const r = parseRecipient(`  ${AGE_RECIPIENT}\n`);
    expect(r).toMatchObject({ kind: "x25519", text: AGE_RECIPIENT, fingerprint: `x25519:${AGE_RECIPIENT}` });
  });

  it("names unsupported key types, and accepts ssh-rsa and plugin recipients as age does", () => {
    for (const text of [fixture("id_ecdsa.pub"), "sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29t"]) {
      const type = text.split(" ")[0] ?? "";
      expect(() => parseRecipient(text)).toThrow(type);
      expect(codeOf(() => parseRecipient(text))).toBe("UNSUPPORTED_KEY_TYPE");
    }
    expect(parseRecipient(fixture("id_rsa.pub")).text.startsWith("ssh-rsa ")).toBe(true);
    const plugin = bech32.encode("age1yubikey", bech32.toWords(new Uint8Array(33).fill(3)), false);
    expect(parseRecipient(plugin).kind).toBe("plugin");
  });

  it.each([
    ["garbage", "hello world"],
    ["empty", ""],
    ["bad base64", "ssh-ed25519 AAAA!!!!"],
    ["truncated blob", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOHz+U0YtjINc54dZiJNclfmEFifF7RXCFlNlTbu"],
    ["wrong key length", sshBlob("ssh-ed25519", new Uint8Array(31).fill(7))],
    ["not on the curve", sshBlob("ssh-ed25519", Uint8Array.from({ length: 32 }, (_, i) => (i === 0 ? 2 : 0)))],
    ["low-order point (identity)", sshBlob("ssh-ed25519", Uint8Array.from({ length: 32 }, (_, i) => (i === 0 ? 1 : 0)))],
    ["bad age1 checksum", AGE_RECIPIENT.slice(0, -1) + (AGE_RECIPIENT.endsWith("q") ? "p" : "q")],
    ["low-order age1 point", "age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq5cu47z"],
    ["uppercase age1", AGE_RECIPIENT.toUpperCase()],
  ])("rejects %s with BAD_KEY", (_what, text) => {
    expect(codeOf(() => parseRecipient(text))).toBe("BAD_KEY");
  });
});

describe("parseIdentities", () => {
  it("reads an age identity file with comments, blank lines and CRLF", async () => {
    const text = AGE_IDS.replace(/\n/g, "\r\n") + "\r\n\r\n# trailing comment\r\n";
    const ids = parseIdentities(text, "ids.txt");
    expect(ids).toHaveLength(2);
    const recipients = identityRecipients(text, "ids.txt");
    expect(recipients[0]).toBe(AGE_RECIPIENT);
    const second = parseRecipient(recipients[1] ?? "");
    const file = await encrypt(new TextEncoder().encode("to the second key"), [second]);
    expect(new TextDecoder().decode(await decrypt(file, ids))).toBe("to the second key");
  });

  it("reads an OpenSSH ed25519 key as an ssh-ed25519 identity that ignores X25519 stanzas", async () => {
    const ids = parseIdentities(ED_PRIV, "id_ed25519");
    expect(identityRecipients(ED_PRIV, "id_ed25519")).toEqual([ED_PUB.split(" ").slice(0, 2).join(" ")]);
    const converted = parseRecipient(ED_PUB, { stanza: "x25519" });
    const file = await encrypt(new Uint8Array([1, 2, 3]), [converted]);
    await expect(decrypt(file, ids)).rejects.toMatchObject({ code: "NO_IDENTITY_MATCHED" });
  });

  it.each([
    ["id_ed25519_encrypted", "ENCRYPTED_KEY", /passphrase-protected keys are not supported yet/],
    ["id_rsa", "UNSUPPORTED_KEY_TYPE", /ssh-rsa/],
  ] as const)("rejects %s with %s naming the file", (name, code, message) => {
    const f = (): unknown => parseIdentities(fixture(name), `/keys/${name}`);
    expect(codeOf(f)).toBe(code);
    expect(f).toThrow(message);
    expect(f).toThrow(`/keys/${name}`);
  });

  it.each([
    ["junk", "just some text\n"],
    ["an empty file", "# only a comment\n\n"],
    ["a bad bech32 key", "AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQDVJ7D3\n"],
    ["a corrupted OpenSSH key", ED_PRIV.replace(/\n[A-Za-z0-9+/]{10}/, "\nAAAAAAAAAA")],
  ])("rejects %s with BAD_KEY", (_what, text) => {
    expect(codeOf(() => parseIdentities(text, "x"))).toBe("BAD_KEY");
  });

  it("does not echo secret key material in errors", () => {
    const bad = "AGE-SECRET-KEY-1" + "Q".repeat(57) + "X";
    expect(() => parseIdentities(bad, "x")).toThrow(RekeyError);
    try {
      parseIdentities(bad, "x");
    } catch (e) {
      expect((e as Error).message).not.toContain("QQQQ");
    }
  });
});

describe("X25519 identities", () => {
  it("generates identities whose recipient round-trips", async () => {
    const id = generateX25519Identity();
    expect(id).toMatch(/^AGE-SECRET-KEY-1[0-9A-Z]{58}$/);
    const recipient = x25519RecipientOf(id);
    expect(identityRecipients(id, "gen")).toEqual([recipient]);
    const file = await encrypt(new TextEncoder().encode("hi"), [parseRecipient(recipient)]);
    expect(new TextDecoder().decode(await decrypt(file, parseIdentities(id, "gen")))).toBe("hi");
  });

  it("derives the recipient of a known identity", () => {
    const [line] = AGE_IDS.split("\n").filter((l) => l.startsWith("AGE-SECRET-KEY-1"));
    expect(x25519RecipientOf(line ?? "")).toBe(AGE_RECIPIENT);
  });
});
