/**
 * The age plugin client (C2SP age-plugin.md) against the test plugin
 * test/fixtures/plugin/age-plugin-rekeytest. The real `age` CLI encrypts to it and decrypts
 * with it first, which shows the plugin itself speaks the protocol; then rekey does the same.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { bech32 } from "@scure/base";
import { describe, expect, it } from "vitest";
import { decrypt, decryptMany, encrypt, loadIdentityFile, parseRecipient, type KeyPrompter } from "../../src/crypto/index.js";
import { useTempDirs } from "../helpers/tmp.js";
import { requireTool } from "../helpers/tools.js";

const pluginDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../fixtures/plugin");
chmodSync(path.join(pluginDir, "age-plugin-rekeytest"), 0o755);
const PATH = `${pluginDir}${path.delimiter}${process.env.PATH ?? ""}`;
// Plugin recipients start their plugin from this process's PATH.
process.env.PATH = PATH;
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

/** A prompter that records what it was asked and answers secrets with `pin`. */
function recorder(pin?: string): KeyPrompter & { asked: string[]; messages: string[] } {
  const asked: string[] = [];
  const messages: string[] = [];
  return {
    asked,
    messages,
    secret: (p) => (asked.push(p), pin === undefined ? Promise.reject(new Error("no")) : Promise.resolve(pin)),
    value: () => Promise.reject(new Error("no")),
    confirm: () => Promise.resolve(true),
    message: (t) => void messages.push(t),
  };
}

function keygen(): { identity: string; recipient: string } {
  const [identity = "", recipient = ""] = execFileSync(path.join(pluginDir, "age-plugin-rekeytest"), ["--keygen"], { encoding: "utf8" }).trim().split("\n");
  return { identity, recipient };
}

function age(args: string[], input: string | Uint8Array, env: Record<string, string> = {}): { code: number; out: Buffer; err: string } {
  const r = spawnSync("age", args, { input, env: { ...process.env, PATH, ...env } });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr.toString() };
}

describe.runIf(requireTool("age"))("age plugins (identity-v1, recipient-v1)", () => {
  const tempDir = useTempDirs();

  async function setup(extraEnv: Record<string, string> = {}) {
    const dir = await tempDir();
    const key = keygen();
    const idFile = path.join(dir, "plugin-id.txt");
    writeFileSync(idFile, `# test plugin identity\n${key.identity}\n`, { mode: 0o600 });
    const counter = path.join(dir, "counter");
    writeFileSync(counter, "");
    const env = { ...process.env, PATH, REKEYTEST_COUNTER: counter, ...extraEnv };
    const sessions = (): number => readFileSync(counter, "utf8").split("\n").filter((l) => l === "session identity-v1").length;
    const unwraps = (): number => readFileSync(counter, "utf8").split("\n").filter((l) => l === "unwrap").length;
    return { dir, key, idFile, env, sessions, unwraps };
  }

  it("the test plugin is protocol-correct: the age CLI encrypts to it and decrypts with it", async () => {
    const s = await setup();
    const file = age(["-r", s.key.recipient], "via age");
    expect(file.code, file.err).toBe(0);
    expect(file.out.toString("latin1")).toContain("-> rekeytest ");
    const back = age(["-d", "-i", s.idFile], file.out, { REKEYTEST_COUNTER: path.join(s.dir, "counter") });
    expect(back.code, back.err).toBe(0);
    expect(back.out.toString()).toBe("via age");
    expect(s.sessions()).toBe(1);
  });

  it("rekey decrypts age-made files and encrypts files that age decrypts", async () => {
    const s = await setup();
    const ids = loadIdentityFile(readFileSync(s.idFile), s.idFile, { prompter: recorder(), env: s.env });
    const made = age(["-r", s.key.recipient], "made by age");
    expect(dec(await decrypt(new Uint8Array(made.out), ids))).toBe("made by age");
    const r = parseRecipient(s.key.recipient, { prompter: recorder() });
    expect(r).toMatchObject({ kind: "plugin", fingerprint: `plugin:${s.key.recipient}` });
    const ours = await encrypt(enc("made by rekey"), [r]);
    const back = age(["-d", "-i", s.idFile], ours);
    expect(back.code, back.err).toBe(0);
    expect(back.out.toString()).toBe("made by rekey");
  });

  it("decryptMany opens ONE session for many files, and asks the PIN once", async () => {
    const s = await setup({ REKEYTEST_PIN: "123456", REKEYTEST_MSG: "1", REKEYTEST_GREASE: "1" });
    const prompter = recorder("123456");
    const ids = loadIdentityFile(readFileSync(s.idFile), s.idFile, { prompter, env: s.env });
    const files = await Promise.all(Array.from({ length: 8 }, (_, i) => encrypt(enc(`secret ${i}`), [parseRecipient(s.key.recipient, { prompter })])));
    const out = await decryptMany(files, ids);
    expect(out.map((o) => ("plaintext" in o ? dec(o.plaintext) : o.error.message))).toEqual(Array.from({ length: 8 }, (_, i) => `secret ${i}`));
    expect(s.sessions()).toBe(1);
    expect(s.unwraps()).toBe(8);
    expect(prompter.asked).toEqual(["age-plugin-rekeytest: Enter PIN for rekeytest device"]);
    expect(prompter.messages).toContain("age-plugin-rekeytest: touch your rekeytest device");
  });

  it("an absent device is skipped with a notice and the next identity decrypts", async () => {
    const s = await setup({ REKEYTEST_NO_DEVICE: "1" });
    const prompter = recorder();
    const x = execFileSync("age-keygen", { encoding: "utf8" });
    const xRecipient = /public key: (age1\S+)/.exec(x)?.[1] ?? "";
    const ids = [...loadIdentityFile(readFileSync(s.idFile), s.idFile, { prompter, env: s.env }), ...loadIdentityFile(enc(x), "x.txt", { prompter })];
    const files = await Promise.all([1, 2, 3].map((i) => encrypt(enc(`s${i}`), [parseRecipient(s.key.recipient, { prompter }), parseRecipient(xRecipient)])));
    const out = await decryptMany(files, ids);
    expect(out.map((o) => ("plaintext" in o ? dec(o.plaintext) : "?"))).toEqual(["s1", "s2", "s3"]);
    expect(s.sessions()).toBe(1);
    expect(prompter.messages.join("\n")).toMatch(/skipping master identity .*plugin-id\.txt \(age-plugin-rekeytest\): no rekeytest device found/);
  });

  it("a wrong or missing PIN leaves the file undecryptable (NO_IDENTITY_MATCHED), with a notice", async () => {
    const s = await setup({ REKEYTEST_PIN: "123456" });
    const prompter = recorder("000000");
    const ids = loadIdentityFile(readFileSync(s.idFile), s.idFile, { prompter, env: s.env });
    const file = await encrypt(enc("x"), [parseRecipient(s.key.recipient, { prompter })]);
    const [out] = await decryptMany([file], ids);
    expect(out && "error" in out ? out.error.code : "decrypted").toBe("NO_IDENTITY_MATCHED");
    expect(prompter.messages.join("\n")).toContain("wrong PIN");
  });

  it("a plugin that crashes mid-protocol is PLUGIN_FAILED, with its stderr", async () => {
    const s = await setup({ REKEYTEST_CRASH: "1" });
    const ids = loadIdentityFile(readFileSync(s.idFile), s.idFile, { prompter: recorder(), env: s.env });
    const file = await encrypt(enc("x"), [parseRecipient(s.key.recipient, { prompter: recorder() })]);
    const err = await decryptMany([file], ids).then(() => null, (e: unknown) => e);
    expect(err).toMatchObject({ code: "PLUGIN_FAILED" });
    expect(String((err as Error).message)).toMatch(/age-plugin-rekeytest exited with code 3 in the middle of the identity-v1 protocol: rekeytest: simulated crash/);
  });

  it("a missing plugin binary is skipped with a notice at decryption, and is PLUGIN_FAILED at encryption", async () => {
    const s = await setup();
    const prompter = recorder();
    const env = { ...s.env, PATH: "/nonexistent" };
    const file = await encrypt(enc("x"), [parseRecipient(s.key.recipient, { prompter })]);
    const ids = loadIdentityFile(readFileSync(s.idFile), s.idFile, { prompter, env });
    const [out] = await decryptMany([file], ids);
    expect(out && "error" in out ? out.error.code : "decrypted").toBe("NO_IDENTITY_MATCHED");
    expect(prompter.messages.join("\n")).toContain("age-plugin-rekeytest was not found on PATH");
    const nosuch = bech32.encode("age1nosuchplugin", bech32.toWords(new Uint8Array(32).fill(7)), false);
    const missing = parseRecipient(nosuch, { prompter }).wrapFileKey(new Uint8Array(16));
    await expect(Promise.resolve(missing)).rejects.toMatchObject({ code: "PLUGIN_FAILED" });
  });

  it("rejects malformed plugin identities with BAD_KEY naming the line", () => {
    expect(() => loadIdentityFile(enc("AGE-PLUGIN-FOO-1QQQQ\n"), "ids.txt", { prompter: recorder() })).toThrow(/ids\.txt:1: invalid plugin identity/);
  });
});
