import { execFileSync } from "node:child_process";
import { createPrivateKey, createPublicKey } from "node:crypto";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ed25519, x25519 } from "@noble/curves/ed25519.js";
import { bech32 } from "@scure/base";
import { describe, expect, it } from "vitest";
import { age } from "../../src/generate/builtins/age.js";
import { nixSigningKey } from "../../src/generate/builtins/nix-signing-key.js";
import { sshEd25519 } from "../../src/generate/builtins/ssh-ed25519.js";
import { wireguard } from "../../src/generate/builtins/wireguard.js";
import { requireTool } from "../helpers/tools.js";
import { aTempDir, anInput, text } from "./support.js";

async function run(gen: typeof age, secret: string, settings: Record<string, unknown> = {}): Promise<{ secret: string; pub: string }> {
  const out = await gen.generate(anInput(secret, { settings }));
  return { secret: text(out.secret), pub: text(out.public) };
}

/** Writes `content` to a mode-0600 file in a fresh temp folder, runs `fn`, then deletes the folder. */
function withKeyFile<T>(content: string, fn: (file: string, dir: string) => T): T {
  const { dir, cleanup } = aTempDir();
  try {
    const file = join(dir, "key");
    writeFileSync(file, content, { mode: 0o600 });
    chmodSync(file, 0o600);
    return fn(file, dir);
  } finally {
    cleanup();
  }
}

describe("ssh-ed25519", () => {
  it("writes an OpenSSH private key file with 70-column base64 and a matching .pub line", async () => {
    const { secret, pub } = await run(sshEd25519, "web/deploy-key");
    const lines = secret.trimEnd().split("\n");
    expect(lines[0]).toBe("-----BEGIN OPENSSH PRIVATE KEY-----");
    expect(lines.at(-1)).toBe("-----END OPENSSH PRIVATE KEY-----");
    const body = lines.slice(1, -1);
    for (const l of body.slice(0, -1)) expect(l).toHaveLength(70);
    expect(pub).toMatch(/^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]{43} web\/deploy-key\n$/);

    // Walk the openssh-key-v1 structure (PROTOCOL.key) field by field.
    const blob = Buffer.from(body.join(""), "base64");
    expect(blob.subarray(0, 15).toString("latin1")).toBe("openssh-key-v1\0");
    let at = 15;
    const str = (from: Buffer = blob): Buffer => {
      const n = from.readUInt32BE(at);
      const out = from.subarray(at + 4, at + 4 + n);
      at += 4 + n;
      return out;
    };
    expect([str().toString(), str().toString(), str().length]).toEqual(["none", "none", 0]);
    expect(blob.readUInt32BE(at)).toBe(1);
    at += 4;
    const publicBlob = str();
    expect(publicBlob.toString("base64")).toBe(pub.split(" ")[1]);
    const priv = str();
    expect(at).toBe(blob.length);
    expect(priv.length % 8).toBe(0);
    at = 8;
    expect(priv.readUInt32BE(0)).toBe(priv.readUInt32BE(4));
    expect(str(priv).toString()).toBe("ssh-ed25519");
    const point = str(priv);
    const secretKey = str(priv);
    expect(str(priv).toString()).toBe("web/deploy-key");
    expect([...priv.subarray(at)]).toEqual(Array.from({ length: priv.length - at }, (_, i) => i + 1));
    expect(Buffer.from(ed25519.getPublicKey(secretKey.subarray(0, 32)))).toEqual(point);
    expect(secretKey.subarray(32)).toEqual(point);
    expect(publicBlob.subarray(-32)).toEqual(point);
  });

  it("uses the comment setting, and differs on every run", async () => {
    const a = await run(sshEd25519, "k", { comment: "root@web1" });
    const b = await run(sshEd25519, "k", { comment: "root@web1" });
    expect(a.pub.endsWith(" root@web1\n")).toBe(true);
    expect(a.secret).not.toBe(b.secret);
    expect(sshEd25519.validate?.({ comment: "a\nb" })[0]).toMatch(/^setting "comment" must be one line/);
    expect(sshEd25519.validate?.({ bits: 4096 })).toEqual(['unknown setting "bits": ssh-ed25519 accepts only comment']);
  });

  it.runIf(requireTool("ssh-keygen"))("is accepted by ssh-keygen -y, which prints the same public key", async () => {
    for (const comment of ["host key for web1", ""]) {
      const { secret, pub } = await run(sshEd25519, "web/deploy-key", { comment });
      const derived = withKeyFile(secret, (file) => execFileSync("ssh-keygen", ["-y", "-f", file], { encoding: "utf8" }));
      expect(derived).toBe(pub);
    }
  });
});

describe("age", () => {
  it("writes an age-keygen style identity file whose recipient is the .pub", async () => {
    const { secret, pub } = await run(age, "backup-key");
    const [comment, identity, rest] = secret.split("\n");
    expect(rest).toBe("");
    expect(pub).toMatch(/^age1[02-9ac-hj-np-z]{58}\n$/);
    expect(comment).toBe(`# public key: ${pub.trimEnd()}`);
    expect(identity).toMatch(/^AGE-SECRET-KEY-1[02-9AC-HJ-NP-Z]{58}$/);
    const scalar = bech32.fromWords(bech32.decode((identity ?? "").toLowerCase() as `${string}1${string}`).words);
    expect(bech32.encode("age", bech32.toWords(x25519.getPublicKey(Uint8Array.from(scalar))))).toBe(pub.trimEnd());
  });

  it.runIf(requireTool("age-keygen"))("is accepted by age-keygen -y, which prints the same recipient", async () => {
    const { secret, pub } = await run(age, "backup-key");
    expect(withKeyFile(secret, (file) => execFileSync("age-keygen", ["-y", file], { encoding: "utf8" }))).toBe(pub);
  });

  it.runIf(requireTool("age"))("decrypts a file that age -r <pub> encrypted", async () => {
    const { secret, pub } = await run(age, "backup-key");
    const plain = withKeyFile(secret, (file, dir) => {
      const encrypted = join(dir, "msg.age");
      execFileSync("age", ["-r", pub.trimEnd(), "-o", encrypted], { input: "hello from age\n" });
      return execFileSync("age", ["-d", "-i", file, encrypted], { encoding: "utf8" });
    });
    expect(plain).toBe("hello from age\n");
  });
});

describe("wireguard", () => {
  it("gives a clamped base64 private key and the public key node:crypto derives from it", async () => {
    for (let i = 0; i < 50; i++) {
      const { secret, pub } = await run(wireguard, "wg0");
      expect(secret).toMatch(/^[A-Za-z0-9+/]{43}=\n$/);
      expect(pub).toMatch(/^[A-Za-z0-9+/]{43}=\n$/);
      const key = Buffer.from(secret, "base64");
      expect((key[0] ?? 1) & 7).toBe(0);
      expect((key[31] ?? 0) & 0xc0).toBe(0x40);
      // PKCS#8 wrapping of a raw X25519 private key, so node:crypto (OpenSSL) derives the public key.
      const der = Buffer.concat([Buffer.from("302e020100300506032b656e04220420", "hex"), key]);
      const spki = createPublicKey(createPrivateKey({ key: der, format: "der", type: "pkcs8" })).export({ format: "der", type: "spki" });
      expect(`${spki.subarray(-32).toString("base64")}\n`).toBe(pub);
    }
  });

  it("takes no settings", () => {
    expect(wireguard.validate?.({ bytes: 32 })).toEqual(['unknown setting "bytes": wireguard accepts no settings']);
  });
});

describe("nix-signing-key", () => {
  it("prints NAME:base64(seed ‖ public) and NAME:base64(public), without newlines, as nix key does", async () => {
    const { secret, pub } = await run(nixSigningKey, "cache-key", { keyName: "cache.example.org-1" });
    expect(secret.startsWith("cache.example.org-1:")).toBe(true);
    expect(pub.startsWith("cache.example.org-1:")).toBe(true);
    expect(secret).not.toContain("\n");
    expect(pub).not.toContain("\n");
    const sk = Buffer.from(secret.slice("cache.example.org-1:".length), "base64");
    const pk = Buffer.from(pub.slice("cache.example.org-1:".length), "base64");
    expect(sk).toHaveLength(64);
    expect(pk).toHaveLength(32);
    expect(Buffer.from(ed25519.getPublicKey(sk.subarray(0, 32)))).toEqual(sk.subarray(32));
    expect(pk).toEqual(sk.subarray(32));
    const message = new TextEncoder().encode("1;/nix/store/abc-hello;sha256:...;1234;");
    expect(ed25519.verify(ed25519.sign(message, sk.subarray(0, 32)), message, pk)).toBe(true);
  });

  it("requires a keyName without ':' or whitespace", () => {
    expect(nixSigningKey.validate?.({})).toEqual(['setting "keyName" is required by nix-signing-key']);
    expect(nixSigningKey.validate?.({ keyName: "a:b" })[0]).toMatch(/^setting "keyName" must be a non-empty key name without ':'/);
    expect(nixSigningKey.validate?.({ keyName: "" })[0]).toMatch(/^setting "keyName" must be/);
    expect(nixSigningKey.validate?.({ keyName: "cache.example.org-1" })).toEqual([]);
  });
});
