/**
 * ssh-rsa recipients and identities (age's agessh "ssh-rsa" stanza, RSA-OAEP-SHA-256), and
 * post-quantum hybrid recipients, against the real age CLI where it supports them.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { generateHybridIdentity, identityToRecipient } from "age-encryption";
import { describe, expect, it } from "vitest";
import { decrypt, encrypt, loadIdentityFile, parseRecipient, silentPrompter } from "../../src/crypto/index.js";
import { useTempDirs } from "../helpers/tmp.js";
import { requireTool } from "../helpers/tools.js";

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

describe.runIf(requireTool("age") && requireTool("ssh-keygen"))("ssh-rsa", () => {
  const tempDir = useTempDirs();

  async function rsaKey(bits = 2048) {
    const dir = await tempDir();
    const key = path.join(dir, "id_rsa");
    execFileSync("ssh-keygen", ["-q", "-t", "rsa", "-b", String(bits), "-N", "", "-C", "root@host", "-f", key]);
    return { key, pub: readFileSync(`${key}.pub`, "utf8").trim() };
  }

  it("rekey encrypts what `age -d -i id_rsa` decrypts", async () => {
    const { key, pub } = await rsaKey();
    const r = parseRecipient(pub);
    expect(r.kind).toBe("ssh-rsa");
    expect(r.text).toBe(pub.split(" ").slice(0, 2).join(" "));
    const fp = execFileSync("ssh-keygen", ["-l", "-E", "sha256", "-f", `${key}.pub`], { encoding: "utf8" }).split(" ")[1];
    expect(r.fingerprint).toBe(`ssh-rsa:${fp}`);
    const file = path.join(path.dirname(key), "out.age");
    writeFileSync(file, await encrypt(enc("for the rsa host"), [r]));
    const out = spawnSync("age", ["-d", "-i", key, file]);
    expect(out.status, out.stderr.toString()).toBe(0);
    expect(out.stdout.toString()).toBe("for the rsa host");
  });

  it("rekey reads files from `age -R id_rsa.pub` with the private key", async () => {
    const { key } = await rsaKey();
    const made = spawnSync("age", ["-R", `${key}.pub`], { input: "from age" });
    expect(made.status).toBe(0);
    const ids = loadIdentityFile(readFileSync(key), key, { prompter: silentPrompter });
    expect(dec(await decrypt(new Uint8Array(made.stdout), ids))).toBe("from age");
  });

  it("ignores other keys' ssh-rsa stanzas, and refuses ssh-rsa with stanza: x25519", async () => {
    const a = await rsaKey();
    const b = await rsaKey();
    const file = await encrypt(enc("x"), [parseRecipient(a.pub)]);
    await expect(decrypt(file, loadIdentityFile(readFileSync(b.key), b.key, { prompter: silentPrompter }))).rejects.toMatchObject({ code: "NO_IDENTITY_MATCHED" });
    expect(() => parseRecipient(a.pub, { stanza: "x25519" })).toThrow(expect.objectContaining({ code: "UNSUPPORTED_KEY_TYPE" }) as Error);
  });

  it("refuses RSA keys under 2048 bits, as age does", async () => {
    const { pub } = await rsaKey(1024);
    expect(() => parseRecipient(pub)).toThrow(/too small/);
  });
});

describe("post-quantum hybrid recipients (age1pq1...)", () => {
  it("round-trips with typage's hybrid identity (age v1.1.1 has no age1pq support to test against)", async () => {
    const identity = await generateHybridIdentity();
    const recipient = await identityToRecipient(identity);
    const r = parseRecipient(recipient);
    expect(r).toMatchObject({ kind: "mlkem768x25519", text: recipient, fingerprint: `mlkem768x25519:${recipient}` });
    const file = await encrypt(enc("post-quantum"), [r]);
    const ids = loadIdentityFile(enc(`${identity}\n`), "pq.txt", { prompter: silentPrompter });
    expect(dec(await decrypt(file, ids))).toBe("post-quantum");
  });
});
