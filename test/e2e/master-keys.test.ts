/**
 * Master keys as people hold them (the built CLI, a new user's view): an age plugin identity
 * (the test plugin test/fixtures/plugin/age-plugin-rekeytest), passphrase-protected
 * identities unlocked through REKEY_ASKPASS, ssh-rsa hosts, and the failures of each.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { Encrypter } from "age-encryption";
import { beforeAll, describe, expect, it } from "vitest";
import { useTempDirs } from "../helpers/tmp.js";
import { requireTool } from "../helpers/tools.js";
import { ageDecrypt, ensureBuilt, listFiles, projectRoot, runAge, runRekey, sshKeygen, treeDigest, write, writeHost, type TestRepo } from "./helpers.js";

const tools = requireTool("age") && requireTool("age-keygen") && requireTool("ssh-keygen");
const pluginDir = path.join(projectRoot, "test/fixtures/plugin");
const PATH = `${pluginDir}${path.delimiter}${process.env.PATH ?? ""}`;
const count = (file: string, line: string): number => (existsSync(file) ? readFileSync(file, "utf8").split("\n").filter((l) => l === line).length : 0);

describe.runIf(tools)("master keys (plugins, passphrases, ssh-rsa)", () => {
  beforeAll(() => {
    ensureBuilt();
    chmodSync(path.join(pluginDir, "age-plugin-rekeytest"), 0o755);
  });
  const tempDir = useTempDirs();

  /** A repository whose master key is `recipient`, read with `identity` (a path relative to the root). */
  async function repoWith(recipient: string, identity: string, setup: (root: string) => void): Promise<TestRepo & { askpass: string; asked: string }> {
    const root = await tempDir();
    for (const d of ["keys", "secrets", "hosts"]) mkdirSync(path.join(root, d), { recursive: true });
    setup(root);
    write(root, "rekey.yaml", `master:\n  recipients:\n    - ${recipient}\n  identities:\n    - ${identity}\n`);
    const asked = path.join(await tempDir(), "askpass-count");
    const askpass = path.join(root, "keys/askpass.sh");
    write(root, "keys/askpass.sh", `#!/bin/sh\necho asked >> "${asked}"\nprintf '%s\\n' "$TEST_SECRET"\n`);
    chmodSync(askpass, 0o755);
    return { root, masterRecipient: recipient, masterIdentity: path.join(root, identity), askpass, asked };
  }

  function source(repo: TestRepo, name: string, text: string, args: string[] = ["-r", repo.masterRecipient]): void {
    const r = runAge([...args, "-o", path.join(repo.root, "secrets", `${name}.age`)], text);
    if (r.code !== 0) throw new Error(r.stderr);
  }

  /** n sources to m ssh-ed25519 hosts; returns the hosts' private keys. */
  function fleet(repo: TestRepo, sources: number, hosts: number, args?: string[]): Record<string, string> {
    const names = Array.from({ length: sources }, (_, i) => `s${i}`);
    names.forEach((n) => source(repo, n, `value of ${n}`, args));
    const keys: Record<string, string> = {};
    for (let h = 0; h < hosts; h++) {
      const k = sshKeygen(path.join(repo.root, `keys/host${h}`), `root@host${h}`);
      writeHost(repo, `host${h}`, k.pub, names);
      keys[`host${h}`] = k.key;
    }
    return keys;
  }

  async function pluginRepo() {
    const repo = await repoWith("", "keys/plugin.txt", () => undefined);
    const [identity = "", recipient = ""] = execFileSync(path.join(pluginDir, "age-plugin-rekeytest"), ["--keygen"], { encoding: "utf8" }).trim().split("\n");
    write(repo.root, "keys/plugin.txt", `${identity}\n`);
    write(repo.root, "rekey.yaml", `master:\n  recipients:\n    - ${recipient}\n  identities:\n    - keys/plugin.txt\n`);
    chmodSync(path.join(repo.root, "keys/plugin.txt"), 0o600);
    const withRecipient = { ...repo, masterRecipient: recipient };
    const counter = path.join(await tempDir(), "plugin-count");
    return { repo: withRecipient, counter };
  }

  it("apply of 8 sources to 5 hosts with a plugin master identity opens ONE plugin session and asks the PIN once", async () => {
    const { repo, counter } = await pluginRepo();
    const env = { PATH, REKEYTEST_COUNTER: counter };
    const runAgeWithPath = (args: string[], input: string) => execFileSync("age", args, { input, env: { ...process.env, ...env } });
    const names = Array.from({ length: 8 }, (_, i) => `s${i}`);
    for (const n of names) runAgeWithPath(["-r", repo.masterRecipient, "-o", path.join(repo.root, "secrets", `${n}.age`)], `value of ${n}`);
    const keys: Record<string, string> = {};
    for (let h = 0; h < 5; h++) {
      const k = sshKeygen(path.join(repo.root, `keys/host${h}`), `root@host${h}`);
      writeHost(repo, `host${h}`, k.pub, names);
      keys[`host${h}`] = k.key;
    }
    writeFileSync(counter, "");
    const r = runRekey(repo.root, ["apply", "--yes"], { ...env, REKEYTEST_PIN: "424242", TEST_SECRET: "424242", REKEY_ASKPASS: (repo as unknown as { askpass: string }).askpass });
    expect(r.code, r.stderr).toBe(0);
    expect(count(counter, "session identity-v1")).toBe(1);
    expect(count(counter, "unwrap")).toBe(8);
    expect(count((repo as unknown as { asked: string }).asked, "asked")).toBe(1);
    expect(listFiles(path.join(repo.root, "secrets/rekeyed")).filter((f) => f.endsWith(".age"))).toHaveLength(40);
    const out = ageDecrypt(path.join(repo.root, "secrets/rekeyed/host4/s7.age"), keys.host4!);
    expect(out.stdout).toBe("value of s7");
  });

  it.each([
    ["a missing plugin binary", { PATH: `${path.dirname(process.execPath)}${path.delimiter}/usr/bin${path.delimiter}/bin` }, /age-plugin-rekeytest was not found on PATH/],
    ["a plugin that crashes mid-protocol", { PATH, REKEYTEST_CRASH: "1" }, /age-plugin-rekeytest exited with code 3 in the middle of the identity-v1 protocol/],
  ])("%s: exit 1, a clear message, nothing written", async (_what, env, message) => {
    const { repo } = await pluginRepo();
    execFileSync("age", ["-r", repo.masterRecipient, "-o", path.join(repo.root, "secrets/s.age")], { input: "x", env: { ...process.env, PATH } });
    const k = sshKeygen(path.join(repo.root, "keys/host"), "root@host");
    writeHost(repo, "host", k.pub, ["s"]);
    const before = treeDigest(repo.root);
    const r = runRekey(repo.root, ["apply", "--yes"], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(treeDigest(repo.root)).toBe(before);
  });

  async function passphraseRepos() {
    const agep = await repoWith("", "keys/master.age", () => undefined);
    const x = execFileSync("age-keygen", { encoding: "utf8" });
    const recipient = /public key: (\S+)/.exec(x)?.[1] ?? "";
    const e = new Encrypter();
    e.setPassphrase("open sesame");
    e.setScryptWorkFactor(14);
    write(agep.root, "keys/master.age", await e.encrypt(x));
    write(agep.root, "rekey.yaml", `master:\n  recipients:\n    - ${recipient}\n  identities:\n    - keys/master.age\n`);
    const ssh = await repoWith("", "keys/id_ed25519", (root) => {
      execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "open sesame", "-C", "admin", "-f", path.join(root, "keys/id_ed25519")], { stdio: "ignore" });
    });
    const sshPub = readFileSync(path.join(ssh.root, "keys/id_ed25519.pub"), "utf8").trim();
    write(ssh.root, "rekey.yaml", `master:\n  recipients:\n    - ${sshPub}\n  identities:\n    - keys/id_ed25519\n`);
    return [
      { what: "an age -p identity file", repo: { ...agep, masterRecipient: recipient }, args: ["-r", recipient] },
      { what: "an ssh-keygen -N key", repo: { ...ssh, masterRecipient: sshPub }, args: ["-R", path.join(ssh.root, "keys/id_ed25519.pub")] },
    ];
  }

  it("a passphrase-protected master identity is asked for ONCE per apply (age -p file and ssh-keygen -N key)", async () => {
    for (const { what, repo, args } of await passphraseRepos()) {
      const keys = fleet(repo, 6, 3, args);
      const r = runRekey(repo.root, ["apply", "--yes"], { TEST_SECRET: "open sesame", REKEY_ASKPASS: repo.askpass });
      expect(r.code, `${what}: ${r.stderr}`).toBe(0);
      expect(count(repo.asked, "asked"), what).toBe(1);
      expect(ageDecrypt(path.join(repo.root, "secrets/rekeyed/host2/s5.age"), keys.host2!).stdout).toBe("value of s5");
    }
  });

  it("a wrong passphrase, or no terminal and no REKEY_ASKPASS: exit 1, a clear message, nothing written", async () => {
    for (const { what, repo, args } of await passphraseRepos()) {
      fleet(repo, 2, 1, args);
      const before = treeDigest(repo.root);
      const wrong = runRekey(repo.root, ["apply", "--yes"], { TEST_SECRET: "guess", REKEY_ASKPASS: repo.askpass });
      expect(wrong.code, what).toBe(1);
      expect(wrong.stderr, what).toContain(`${repo.masterIdentity}: wrong passphrase`);
      const noTty = runRekey(repo.root, ["apply", "--yes"], {});
      expect(noTty.code, what).toBe(1);
      expect(noTty.stderr, what).toMatch(/there is no terminal and REKEY_ASKPASS is not set/);
      expect(treeDigest(repo.root), what).toBe(before);
    }
  });

  it("ssh-rsa hosts decrypt their outputs with age -d -i id_rsa; sources from age -R id_rsa.pub are read", async () => {
    const root = await tempDir();
    for (const d of ["keys", "secrets", "hosts"]) mkdirSync(path.join(root, d), { recursive: true });
    execFileSync("ssh-keygen", ["-q", "-t", "rsa", "-b", "3072", "-N", "", "-C", "admin", "-f", path.join(root, "keys/admin_rsa")], { stdio: "ignore" });
    const adminPub = readFileSync(path.join(root, "keys/admin_rsa.pub"), "utf8").trim();
    write(root, "rekey.yaml", `master:\n  recipients:\n    - ${adminPub}\n  identities:\n    - keys/admin_rsa\n`);
    const repo = { root, masterRecipient: adminPub, masterIdentity: path.join(root, "keys/admin_rsa") };
    source(repo, "db", "rsa all the way", ["-R", path.join(root, "keys/admin_rsa.pub")]);
    execFileSync("ssh-keygen", ["-q", "-t", "rsa", "-b", "2048", "-N", "", "-C", "root@old", "-f", path.join(root, "keys/old_rsa")], { stdio: "ignore" });
    writeHost(repo, "old", readFileSync(path.join(root, "keys/old_rsa.pub"), "utf8").trim(), ["db"]);
    const r = runRekey(root, ["apply", "--yes"]);
    expect(r.code, r.stderr).toBe(0);
    const out = ageDecrypt(path.join(root, "secrets/rekeyed/old/db.age"), path.join(root, "keys/old_rsa"));
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toBe("rsa all the way");
    expect(runRekey(root, ["plan", "--detailed-exitcode"]).code).toBe(0);
  });
});
