/**
 * Passphrase-protected master identities: bcrypt_pbkdf and encrypted OpenSSH keys made by
 * ssh-keygen -N, and age identity files encrypted with a passphrase (the `age -p` format,
 * made with typage's Encrypter.setPassphrase and checked against the real age CLI).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Encrypter } from "age-encryption";
import { describe, expect, it } from "vitest";
import { bcryptPbkdf, decrypt, decryptMany, encrypt, loadIdentityFile, parseRecipient, type KeyPrompter } from "../../src/crypto/index.js";
import { blowfishInitialState } from "../../src/crypto/bcrypt-pbkdf.js";
import { useTempDirs } from "../helpers/tmp.js";
import { requireTool } from "../helpers/tools.js";

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

function counting(passphrase: string): KeyPrompter & { asked: string[] } {
  const asked: string[] = [];
  return { asked, secret: (p) => (asked.push(p), Promise.resolve(passphrase)), value: () => Promise.reject(new Error("no")), confirm: () => Promise.resolve(false), message: () => undefined };
}

describe("bcrypt_pbkdf", () => {
  it("starts Blowfish from the digits of pi", () => {
    const s = blowfishInitialState();
    expect([s[0], s[17], s[18], s[1041]].map((w) => w?.toString(16))).toEqual(["243f6a88", "8979fb1b", "d1310ba6", "3ac372e6"]);
  });

  it("is deterministic and depends on every input", () => {
    const a = bcryptPbkdf(enc("password"), enc("salt"), 48, 2);
    expect(a).toEqual(bcryptPbkdf(enc("password"), enc("salt"), 48, 2));
    expect(a).not.toEqual(bcryptPbkdf(enc("passwore"), enc("salt"), 48, 2));
    expect(a).not.toEqual(bcryptPbkdf(enc("password"), enc("salu"), 48, 2));
    expect(a).not.toEqual(bcryptPbkdf(enc("password"), enc("salt"), 48, 3));
  });
});

describe.runIf(requireTool("ssh-keygen") && requireTool("age"))("encrypted OpenSSH keys (ssh-keygen -N)", () => {
  const tempDir = useTempDirs();

  it.each(["ed25519", "rsa"] as const)("decrypts %s keys, asks once for many files, and refuses a wrong passphrase", async (type) => {
    const dir = await tempDir();
    const key = path.join(dir, `id_${type}`);
    execFileSync("ssh-keygen", ["-q", "-t", type, ...(type === "rsa" ? ["-b", "2048"] : []), "-N", "correct horse", "-C", "t", "-f", key]);
    const pub = readFileSync(`${key}.pub`, "utf8");
    const files = ["a", "b", "c"].map((t) => {
      const r = spawnSync("age", ["-R", `${key}.pub`], { input: t });
      expect(r.status, r.stderr.toString()).toBe(0);
      return new Uint8Array(r.stdout);
    });
    const prompter = counting("correct horse");
    const ids = loadIdentityFile(readFileSync(key), key, { prompter });
    const out = await decryptMany(files, ids);
    expect(out.map((o) => ("plaintext" in o ? dec(o.plaintext) : o.error.message))).toEqual(["a", "b", "c"]);
    expect(dec(await decrypt(await encrypt(enc("d"), [parseRecipient(pub)]), ids))).toBe("d");
    expect(prompter.asked).toEqual([`Enter passphrase for ${key}:`]);

    const wrong = loadIdentityFile(readFileSync(key), key, { prompter: counting("wrong horse") });
    await expect(decryptMany(files, wrong)).rejects.toMatchObject({ code: "WRONG_PASSPHRASE", message: `${key}: wrong passphrase` });
  });

  it("does not ask for a key whose tag is in no stanza", async () => {
    const dir = await tempDir();
    const key = path.join(dir, "id");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "pw", "-f", key]);
    const x = execFileSync("age-keygen", { encoding: "utf8" });
    const file = await encrypt(enc("x"), [parseRecipient(/public key: (\S+)/.exec(x)?.[1] ?? "")]);
    const prompter = counting("pw");
    const ids = [...loadIdentityFile(readFileSync(key), key, { prompter }), ...loadIdentityFile(enc(x), "x", { prompter })];
    expect(dec(await decrypt(file, ids))).toBe("x");
    expect(prompter.asked).toEqual([]);
  });
});

describe.runIf(requireTool("age") && requireTool("age-keygen"))("passphrase-encrypted age identity files (age -p format)", () => {
  const tempDir = useTempDirs();

  async function encryptedIdentity(passphrase: string) {
    const dir = await tempDir();
    const x = execFileSync("age-keygen", { encoding: "utf8" });
    const recipient = /public key: (\S+)/.exec(x)?.[1] ?? "";
    const e = new Encrypter();
    e.setPassphrase(passphrase);
    e.setScryptWorkFactor(12);
    const file = path.join(dir, "master.age");
    writeFileSync(file, await e.encrypt(x), { mode: 0o600 });
    return { dir, file, recipient };
  }

  it("unlocks once for many files, and refuses a wrong passphrase", async () => {
    const id = await encryptedIdentity("open sesame");
    const files = await Promise.all(["1", "2", "3", "4"].map((t) => encrypt(enc(t), [parseRecipient(id.recipient)])));
    const prompter = counting("open sesame");
    const out = await decryptMany(files, loadIdentityFile(readFileSync(id.file), id.file, { prompter }));
    expect(out.map((o) => ("plaintext" in o ? dec(o.plaintext) : o.error.message))).toEqual(["1", "2", "3", "4"]);
    expect(prompter.asked).toEqual([`Enter passphrase for identity file ${id.file}:`]);
    await expect(decryptMany(files, loadIdentityFile(readFileSync(id.file), id.file, { prompter: counting("nope") }))).rejects.toMatchObject({ code: "WRONG_PASSPHRASE" });
  });

  it.runIf(requireTool("script"))("the age CLI itself accepts the same encrypted identity file (passphrase typed on a pseudo-terminal)", async () => {
    const id = await encryptedIdentity("open sesame");
    const secret = path.join(id.dir, "s.age");
    writeFileSync(secret, await encrypt(enc("through age"), [parseRecipient(id.recipient)]));
    const r = spawnSync("script", ["-qec", `age -d -i '${id.file}' '${secret}'`, "/dev/null"], { input: "open sesame\r", timeout: 20_000 });
    expect(r.stdout.toString()).toContain("through age");
  });
});
