/**
 * The encryption workers (runs of 400 outputs or more) on every recipient kind: the main
 * thread hands them precomputed X25519 and ssh-ed25519 wrap parameters, or the text of the
 * other keys, and the real `age` CLI must open every output with the host's own key.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { ed25519 } from "@noble/curves/ed25519.js";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Identity } from "age-encryption";
import { beforeAll, describe, expect, it } from "vitest";
import { decryptMany } from "../../src/crypto/decrypt-many.js";
import { SshEd25519Identity } from "../../src/crypto/ssh-ed25519.js";
import { sshEd25519Key } from "../../src/crypto/ssh-key.js";
import { rawPublicKey, x25519PrivateKey } from "../../src/crypto/primitives.js";
import { encodeX25519Recipient, X25519Identity } from "../../src/crypto/x25519.js";
import { useTempDirs } from "../helpers/tmp.js";
import { requireTool } from "../helpers/tools.js";
import { ageDecrypt, ageKeygen, ensureBuilt, listFiles, makeRepo, runRekey, sshKeygen, writeHost, writeSource } from "./helpers.js";

const tools = requireTool("age") && requireTool("age-keygen") && requireTool("ssh-keygen");

describe.runIf(tools)("encryption workers", () => {
  beforeAll(() => ensureBuilt());
  const tempDir = useTempDirs();

  it("write outputs that `age -d` opens for ssh-ed25519, stanza: x25519, age1 and ssh-rsa hosts, mode 0644 under umask 077", async () => {
    const repo = makeRepo(await tempDir());
    const secrets = Array.from({ length: 12 }, (_, i) => `app/s${String(i).padStart(2, "0")}`);
    for (const s of secrets) writeSource(repo, s, `plaintext of ${s}`);
    // 34 hosts × 12 secrets = 408 outputs: enough for the worker pool (400).
    const hosts: { name: string; key: string; stanza: string }[] = [];
    for (let i = 0; i < 20; i++) {
      const k = sshKeygen(path.join(repo.root, `keys/ed${i}`), `root@ed${i}`);
      writeHost(repo, `ed${i}`, k.pub, secrets);
      hosts.push({ name: `ed${i}`, key: k.key, stanza: "ssh-ed25519" });
    }
    for (let i = 0; i < 6; i++) {
      const k = sshKeygen(path.join(repo.root, `keys/conv${i}`), `root@conv${i}`);
      writeHost(repo, `conv${i}`, k.pub, secrets, "stanza: x25519");
      // The converted X25519 stanza opens with the ssh-to-age form of the host key.
      const converted = runRekey(repo.root, ["ssh-to-age", "--private-key", k.key]);
      expect(converted.code, converted.stderr).toBe(0);
      const file = path.join(repo.root, `keys/conv${i}.age.txt`);
      writeFileSync(file, converted.stdout, { mode: 0o600 });
      hosts.push({ name: `conv${i}`, key: file, stanza: "X25519" });
    }
    for (let i = 0; i < 7; i++) {
      const file = path.join(repo.root, `keys/age${i}.txt`);
      writeHost(repo, `age${i}`, ageKeygen(file), secrets);
      hosts.push({ name: `age${i}`, key: file, stanza: "X25519" });
    }
    const rsaKey = path.join(repo.root, "keys/rsa");
    execFileSync("ssh-keygen", ["-q", "-t", "rsa", "-b", "2048", "-N", "", "-C", "root@rsa", "-f", rsaKey], { stdio: "ignore" });
    writeHost(repo, "rsa", readFileSync(`${rsaKey}.pub`, "utf8").trim(), secrets);
    hosts.push({ name: "rsa", key: rsaKey, stanza: "ssh-rsa" });

    // Under a umask that cuts group and other bits, outputs must still be 0644 exactly.
    const umask = process.umask(0o077);
    let applied: ReturnType<typeof runRekey>;
    try {
      applied = runRekey(repo.root, ["apply", "--yes", "--json"]);
    } finally {
      process.umask(umask);
    }
    expect(applied.code, applied.stderr).toBe(0);
    const done = applied.stdout.trim().split("\n").map((l) => JSON.parse(l) as { type: string; written?: number }).find((e) => e.type === "done");
    expect(done?.written).toBe(hosts.length * secrets.length);

    // Every X25519 and ssh-ed25519 stanza has its own ephemeral share: the keys a worker makes
    // ahead while the run is planned (encrypt-worker.ts) and those made on demand are each used once.
    const shares: string[] = [];
    for (const host of hosts) {
      const dir = path.join(repo.root, "secrets/rekeyed", host.name);
      expect(listFiles(dir).filter((f) => f.endsWith(".age"))).toEqual(secrets.map((s) => `${s}.age`));
      for (const s of secrets) {
        const file = path.join(dir, `${s}.age`);
        expect(statSync(file).mode & 0o777).toBe(0o644);
        const stanza = readFileSync(file, "latin1").split("\n")[1]!;
        expect(stanza.split(" ").slice(0, 2)).toEqual(["->", host.stanza]);
        if (host.stanza !== "ssh-rsa") shares.push(stanza.split(" ").at(-1)!);
        const opened = ageDecrypt(file, host.key);
        expect(opened.stdout, `${host.name}/${s}: ${opened.stderr}`).toBe(`plaintext of ${s}`);
      }
    }
    expect(shares).toHaveLength((hosts.length - 1) * secrets.length);
    expect(new Set(shares).size).toBe(shares.length);
    const plan = runRekey(repo.root, ["plan", "--detailed-exitcode"]);
    expect(plan.code, plan.stdout).toBe(0);
  }, 120_000);

  it("encrypt each output to its own host past the 1,024 recipients the pool and the workers keep at a time", async () => {
    const repo = makeRepo(await tempDir());
    writeSource(repo, "token", "plaintext of token");
    // 2,200 hosts × 1 secret, ssh-ed25519 and age1 in turn: the tables of recipients in use
    // (encrypt-pool.ts, encrypt-jobs.ts) are emptied twice, and new indices follow.
    const identities: Identity[] = [];
    for (let i = 0; i < 2200; i++) {
      const name = `h${String(i).padStart(4, "0")}`;
      // Keys from random bytes, not generateKeyPairSync: in Node 20 a key export can deadlock
      // with the garbage collector destroying a key generation's job (bench/workload.ts); this
      // test hung once that way in CI.
      const secret = new Uint8Array(randomBytes(32));
      if (i % 2 === 0) {
        const key = sshEd25519Key(ed25519.getPublicKey(secret));
        writeHost(repo, name, key.text, ["token"]);
        identities.push(new SshEd25519Identity(secret, key));
      } else {
        writeHost(repo, name, encodeX25519Recipient(rawPublicKey(x25519PrivateKey(secret))), ["token"]);
        identities.push(new X25519Identity(secret));
      }
    }
    const applied = runRekey(repo.root, ["apply", "--yes"]);
    expect(applied.code, applied.stderr).toBe(0);
    const files = identities.map((_, i) => new Uint8Array(readFileSync(path.join(repo.root, `secrets/rekeyed/h${String(i).padStart(4, "0")}/token.age`))));
    // Each output opens with its host's key, and the next host's key does not open it.
    const own = await Promise.all(files.map((f, i) => decryptMany([f], [identities[i]!])));
    expect(own.map(([o]) => ("plaintext" in o! ? Buffer.from(o.plaintext).toString() : o!.error.message))).toEqual(files.map(() => "plaintext of token"));
    const other = await Promise.all(files.map((f, i) => decryptMany([f], [identities[(i + 2) % identities.length]!])));
    expect(other.filter(([o]) => "plaintext" in o!)).toEqual([]);
  }, 120_000);
});
