/**
 * An apply large enough to run in several chunks (2,400 outputs, chunks of whole hosts of at
 * least 1,024 outputs): each chunk is encrypted by the workers, made durable and renamed, and
 * its hosts' provenance records are written, while the next chunk is being encrypted. Every
 * output must open with its host's key (in process for all of them, and with the real
 * `age -d` on each side of every chunk boundary), every record must describe the files, and a
 * second plan must find nothing to do.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { decrypt, generateX25519Identity, parseIdentities, x25519RecipientOf } from "../../src/crypto/index.js";
import { parseHostRecord, PROVENANCE_FILE } from "../../src/store/provenance.js";
import { useTempDirs } from "../helpers/tmp.js";
import { requireTool } from "../helpers/tools.js";
import { ageDecrypt, ensureBuilt, listFiles, makeRepo, runRekey, write, writeSource } from "./helpers.js";

const tools = requireTool("age") && requireTool("age-keygen");
const HOSTS = 100;
const SECRETS = 24;

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

describe.runIf(tools)("an apply in several chunks", () => {
  beforeAll(() => ensureBuilt());
  const tempDir = useTempDirs();

  it("writes 2,400 outputs host by host, each with its record, all opened by the hosts' keys", async () => {
    const repo = makeRepo(await tempDir());
    const secrets = Array.from({ length: SECRETS }, (_, i) => `s${String(i).padStart(2, "0")}`);
    for (const s of secrets) writeSource(repo, s, `plaintext of ${s}`);
    const hosts = Array.from({ length: HOSTS }, (_, i) => {
      const key = generateX25519Identity();
      const name = `host-${String(i).padStart(3, "0")}`;
      // The common shape (names unquoted, `{}`), which the manifest reader takes without YAML.
      write(repo.root, `hosts/${name}.yaml`, [`pubkey: ${x25519RecipientOf(key)}`, "secrets:", ...secrets.map((s) => `  ${s}: {}`)].join("\n") + "\n");
      write(repo.root, `keys/${name}.txt`, `${key}\n`);
      return { name, key, recipient: x25519RecipientOf(key) };
    });

    const applied = runRekey(repo.root, ["apply", "--yes", "--json"]);
    expect(applied.code, applied.stderr).toBe(0);
    const events = applied.stdout.trim().split("\n").map((l) => JSON.parse(l) as { type: string; host?: string; written?: number });
    expect(events.find((e) => e.type === "done")?.written).toBe(HOSTS * SECRETS);
    // Chunks are committed in host order, each host's outputs together.
    const writes = events.filter((e) => e.type === "write").map((e) => e.host!);
    expect(writes).toHaveLength(HOSTS * SECRETS);
    expect(writes).toEqual([...writes].sort());

    const sourceDigests = new Map(secrets.map((s) => [s, sha256(readFileSync(path.join(repo.root, "secrets", `${s}.age`)))]));
    for (const host of hosts) {
      const dir = path.join(repo.root, "secrets/rekeyed", host.name);
      expect(listFiles(dir)).toEqual([...secrets.map((s) => `${s}.age`), PROVENANCE_FILE].sort());
      const record = parseHostRecord(`${host.name}/${PROVENANCE_FILE}`, readFileSync(path.join(dir, PROVENANCE_FILE), "utf8"));
      expect([...record.outputs.keys()].sort()).toEqual(secrets);
      const identities = parseIdentities(host.key, host.name);
      for (const s of secrets) {
        const bytes = readFileSync(path.join(dir, `${s}.age`));
        expect(record.outputs.get(s)).toEqual({ source: sourceDigests.get(s), output: sha256(bytes), recipient: `x25519:${host.recipient}` });
        expect(new TextDecoder().decode(await decrypt(bytes, identities))).toBe(`plaintext of ${s}`);
      }
    }
    // Chunks of 43 hosts (1,032 outputs): the real age CLI on both sides of each boundary.
    for (const i of [0, 42, 43, 85, 86, HOSTS - 1]) {
      const host = hosts[i]!;
      const opened = ageDecrypt(path.join(repo.root, "secrets/rekeyed", host.name, `${secrets[i % SECRETS]}.age`), path.join(repo.root, `keys/${host.name}.txt`));
      expect(opened.stdout, opened.stderr).toBe(`plaintext of ${secrets[i % SECRETS]}`);
    }
    expect(listFiles(path.join(repo.root, "secrets/rekeyed")).filter((f) => f.includes("rekey-tmp"))).toEqual([]);
    const plan = runRekey(repo.root, ["plan", "--detailed-exitcode"]);
    expect(plan.code, plan.stdout).toBe(0);
  }, 180_000);

  it("encrypts to 1,300 hosts, more than either thread's cache of wraps holds (1,024), each output to its own host", async () => {
    // Each batch brings its recipients' specs to the worker, and both threads keep a bounded
    // cache of wraps: past 1,024 hosts the caches are emptied and refilled mid-run.
    const repo = makeRepo(await tempDir());
    writeSource(repo, "token", "the shared token");
    const hosts = Array.from({ length: 1300 }, (_, i) => {
      const key = generateX25519Identity();
      const name = `h${String(i).padStart(4, "0")}`;
      write(repo.root, `hosts/${name}.yaml`, `pubkey: ${x25519RecipientOf(key)}\nsecrets:\n  token: {}\n`);
      return { name, key };
    });
    const applied = runRekey(repo.root, ["apply", "--yes", "--json"]);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain('"written":1300');
    for (const host of hosts) {
      const bytes = readFileSync(path.join(repo.root, "secrets/rekeyed", host.name, "token.age"));
      // Its own key opens it, and the next host's does not: no output went to another host.
      expect(new TextDecoder().decode(await decrypt(bytes, parseIdentities(host.key, host.name)))).toBe("the shared token");
    }
    const other = readFileSync(path.join(repo.root, "secrets/rekeyed", hosts[1100]!.name, "token.age"));
    await expect(decrypt(other, parseIdentities(hosts[1101]!.key, "other"))).rejects.toThrow(/no identity matched/);
  }, 180_000);
});
