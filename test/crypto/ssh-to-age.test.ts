import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { bech32 } from "@scure/base";
import { afterAll, describe, expect, it } from "vitest";
import { RekeyError } from "../../src/core/errors.js";
import { sshPrivateKeyToAge, sshPublicKeyToAge, x25519RecipientOf } from "../../src/crypto/index.js";
import { requireTool } from "../helpers/tools.js";

const fixture = (name: string): string => readFileSync(fileURLToPath(new URL(`../fixtures/crypto/${name}`, import.meta.url)), "utf8");

describe("sshPublicKeyToAge", () => {
  // Input: Mic92/ssh-to-age test-assets/keyscan.txt; outputs: its README, for the same hosts.
  it("matches ssh-to-age's published ssh-keyscan output", () => {
    const lines = fixture("mic92-keyscan.txt").split("\n").filter((l) => l.includes(" ssh-ed25519 "));
    expect(lines.map(sshPublicKeyToAge)).toEqual([
      "age1hjm3aujg9e79f5yth8a2cejzdjg5n9vnu96l05p70uvfpeltnpms7yy3pp",
      "age1v8zjc47jmlqwefyu66s0d4ke98qr4vnuj3cpvs4z9npfdw833dxqwjrhzv",
    ]);
  });

  it("accepts authorized_keys, known_hosts and bare lines alike", () => {
    const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIF/KPU3Z5LSjbBI6hrq25wCcseq2UpqSzUFZRr+ux6LM";
    const expected = "age1hjm3aujg9e79f5yth8a2cejzdjg5n9vnu96l05p70uvfpeltnpms7yy3pp";
    for (const line of [key, `${key} root@eve`, `eve,10.0.0.1 ${key}`, `@cert-authority *.example ${key}`, `from="10.0.0.0/8",no-pty ${key} c`, `\t${key}\r`]) {
      expect(sshPublicKeyToAge(line)).toBe(expected);
    }
  });

  it("rejects other key types with UNSUPPORTED_KEY_TYPE naming the type", () => {
    const rsa = fixture("mic92-keyscan.txt").split("\n").find((l) => l.includes(" ssh-rsa ")) ?? "";
    expect(() => sshPublicKeyToAge(rsa)).toThrow(/ssh-rsa/);
    expect(() => sshPublicKeyToAge(rsa)).toThrow(expect.objectContaining({ code: "UNSUPPORTED_KEY_TYPE" }) as Error);
  });
});

describe("sshPrivateKeyToAge", () => {
  const converted = sshPrivateKeyToAge(fixture("mic92-id_ed25519"));

  // Input: Mic92/ssh-to-age test-assets/id_ed25519{,.pub}; outputs: its README's examples.
  it("matches ssh-to-age's published output for its test key", () => {
    expect(converted).toBe("AGE-SECRET-KEY-1K3VN4N03PTHJWSJSCCMQCN33RY5FSKQPJ4KRRTG3JMQUYE0TUSEQEDH6V8");
    expect(sshPublicKeyToAge(fixture("mic92-id_ed25519.pub"))).toBe("age17044m9wgakla6pzftf4srtl3h5mcsr85jysgt5fg23zpnta8sfdqhzn452");
    expect(x25519RecipientOf(converted)).toBe("age17044m9wgakla6pzftf4srtl3h5mcsr85jysgt5fg23zpnta8sfdqhzn452");
  });

  it("encodes SHA-512(seed)[:32] unclamped, as ssh-to-age does", () => {
    // OpenSSH stores the private part as seed || public key; the last copy of the public key
    // in the blob is that second half, so the seed is the 32 bytes before it.
    const blob = Buffer.from(fixture("mic92-id_ed25519").split("\n").slice(1, -2).join(""), "base64");
    const pub = Buffer.from(fixture("mic92-id_ed25519.pub").split(" ")[1] ?? "", "base64").subarray(-32);
    const at = blob.lastIndexOf(pub);
    const seed = blob.subarray(at - 32, at);
    const scalar = createHash("sha512").update(seed).digest().subarray(0, 32);
    const decoded = Uint8Array.from(bech32.fromWords(bech32.decode(converted.toLowerCase() as `${string}1${string}`, false).words));
    expect(Buffer.from(decoded).equals(scalar)).toBe(true);
    // Clamping would clear the low 3 bits and the top bit and set bit 254; this scalar differs.
    const clamped = Buffer.from(scalar);
    clamped[0] = (clamped[0] ?? 0) & 248;
    clamped[31] = ((clamped[31] ?? 0) & 127) | 64;
    expect(clamped.equals(scalar)).toBe(false);
  });

  it("refuses encrypted and non-ed25519 keys", () => {
    expect(() => sshPrivateKeyToAge(fixture("id_ed25519_encrypted"))).toThrow(expect.objectContaining({ code: "ENCRYPTED_KEY" }) as Error);
    expect(() => sshPrivateKeyToAge(fixture("id_rsa"))).toThrow(RekeyError);
  });
});

describe.runIf(requireTool("ssh-keygen") && requireTool("age-keygen"))("ssh-to-age against ssh-keygen and age-keygen", () => {
  const dir = mkdtempSync(join(tmpdir(), "rekey-ssh-to-age-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("age-keygen -y of the converted private key is the converted public key, for 20 fresh keys", () => {
    for (let i = 0; i < 20; i++) {
      const key = join(dir, `k${i}`);
      execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", `k${i}`, "-f", key]);
      const identity = sshPrivateKeyToAge(readFileSync(key, "utf8"));
      const recipient = execFileSync("age-keygen", ["-y"], { input: identity + "\n" }).toString().trim();
      expect(recipient).toBe(sshPublicKeyToAge(readFileSync(`${key}.pub`, "utf8")));
    }
  });
});
