/**
 * Acceptance of `rekey generate`: the built CLI on fresh temporary repositories, every
 * built-in plus a user plugin, each result checked with the real age, age-keygen and
 * ssh-keygen (and node:crypto) rather than with rekey's own code.
 */
import { spawnSync } from "node:child_process";
import { createHash, createPrivateKey, createPublicKey } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import bcrypt from "bcryptjs";
import { beforeAll, describe, expect, it } from "vitest";
import { useTempDirs } from "../helpers/tmp.js";
import { requireTool } from "../helpers/tools.js";
import { ageKeygen, ensureBuilt, listFiles, makeRepo, projectRoot, runAge, runRekey, sshKeygen, treeDigest, write, type TestRepo } from "./helpers.js";

const tools = requireTool("age") && requireTool("age-keygen") && requireTool("ssh-keygen");

/** Every generated secret of the fleet: one per built-in, the plugin, and htpasswd over an intermediary passphrase. */
const GENERATED = [
  "admin-password", "db/hex", "keys/age", "keys/nix", "keys/ssh", "keys/wg", "pw/alnum", "pw/base64", "pw/words", "token", "web/htpasswd",
].sort();

const WEB1_SECRETS = `
  pw/alnum:
    generator: {name: alnum, length: 20}
  db/hex:
    generator: hex
  pw/base64:
    generator: {name: base64, bytes: 24}
  pw/words:
    generator: {name: passphrase, words: 5, separator: "."}
  keys/ssh:
    generator: {name: ssh-ed25519, comment: deploy@web1}
  keys/wg:
    generator: wireguard
  keys/age:
    generator: age
  keys/nix:
    generator: {name: nix-signing-key, keyName: cache.example.org-1}
  token:
    generator: {name: random-token, prefix: "web1_", length: 40}
    tags: [api]
  web/htpasswd:
    generator: {name: htpasswd, user: admin}
    dependencies: [admin-password]
    tags: [web]
  admin-password:
    generator: {name: passphrase, words: 6}
    intermediary: true
`;

/** X25519 / Ed25519 private keys as PKCS#8 DER: a fixed prefix, then the 32-byte key. */
const PKCS8 = { x25519: "302e020100300506032b656e04220420", ed25519: "302e020100300506032b657004220420" } as const;

function publicFromRaw(kind: keyof typeof PKCS8, privateKey: Buffer): Buffer {
  const key = createPrivateKey({ key: Buffer.concat([Buffer.from(PKCS8[kind], "hex"), privateKey]), format: "der", type: "pkcs8" });
  return Buffer.from(createPublicKey(key).export({ format: "jwk" }).x!, "base64url");
}

const sha = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

describe.runIf(tools)("rekey generate acceptance", () => {
  beforeAll(() => ensureBuilt());
  const tempDir = useTempDirs();

  /** web1 (ssh host key) gets every secret but the intermediary; vpn1 (age key) also gets db/hex. */
  async function fleet(extraWeb1 = "") {
    const repo = makeRepo(await tempDir());
    const web1 = sshKeygen(path.join(repo.root, "keys/web1"), "root@web1");
    const vpn1 = ageKeygen(path.join(repo.root, "keys/vpn1.txt"));
    write(repo.root, "hosts/web1.yaml", `pubkey: ${web1.pub}\nsecrets:${WEB1_SECRETS}${extraWeb1}`);
    write(repo.root, "hosts/vpn1.yaml", `pubkey: ${vpn1}\nsecrets:\n  db/hex:\n    generator: hex\n`);
    mkdirSync(path.join(repo.root, "generators"), { recursive: true });
    copyFileSync(path.join(projectRoot, "generators/random-token.mjs"), path.join(repo.root, "generators/random-token.mjs"));
    const keys = { web1: web1.key, vpn1: path.join(repo.root, "keys/vpn1.txt") };
    return { repo, keys, rekey: (...args: string[]) => runRekey(repo.root, args) };
  }

  const source = (repo: TestRepo, name: string) => path.join(repo.root, "secrets", `${name}.age`);
  const sources = (repo: TestRepo) => listFiles(path.join(repo.root, "secrets")).filter((f) => f.endsWith(".age") && !f.startsWith("rekeyed/"));
  const digests = (repo: TestRepo) => Object.fromEntries(sources(repo).map((f) => [f, sha(path.join(repo.root, "secrets", f))]));

  /** The plaintext of a source, decrypted by the real `age` CLI with the master identity. */
  function masterPlain(repo: TestRepo, name: string): Buffer {
    const r = runAge(["-d", "-i", repo.masterIdentity, source(repo, name)]);
    expect(r.code, `${name}: ${r.stderr}`).toBe(0);
    return r.bytes;
  }

  it("generates one secret of each built-in and a plugin, then changes nothing on a second run", async () => {
    const { repo, rekey } = await fleet();
    const first = rekey("generate");
    expect(first.code, first.stderr).toBe(0);
    for (const name of GENERATED) expect(first.stdout).toMatch(new RegExp(`generate ${name} \\(`));
    expect(first.stdout).toContain(`Generated ${GENERATED.length} secrets.`);
    expect(sources(repo)).toEqual(GENERATED.map((n) => `${n}.age`).sort());
    for (const pub of ["keys/ssh", "keys/wg", "keys/age", "keys/nix"]) expect(existsSync(path.join(repo.root, `secrets/${pub}.pub`)), pub).toBe(true);
    // The secrets without a public half get no companion.
    expect(listFiles(path.join(repo.root, "secrets")).filter((f) => f.endsWith(".pub")).sort()).toEqual(["keys/age.pub", "keys/nix.pub", "keys/ssh.pub", "keys/wg.pub"]);

    const before = treeDigest(repo.root);
    const second = rekey("generate");
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain("Nothing to generate");
    expect(treeDigest(repo.root)).toBe(before);
    // web1 gets every secret but the intermediary, vpn1 gets db/hex: 10 + 1 outputs.
    expect(rekey("plan").stdout).toContain("Plan: 0 to generate, 11 to create, 0 to update, 0 to remove.");
  });

  it("writes sources that the age CLI decrypts with the master identity, in each generator's format", async () => {
    const { repo, rekey } = await fleet();
    expect(rekey("generate").code).toBe(0);
    const text = (name: string) => masterPlain(repo, name).toString("utf8");
    expect(text("pw/alnum")).toMatch(/^[A-Za-z0-9]{20}$/);
    expect(text("db/hex")).toMatch(/^[0-9a-f]{64}$/);
    expect(Buffer.from(text("pw/base64"), "base64")).toHaveLength(24);
    expect(text("pw/words")).toMatch(/^[a-z]+(\.[a-z]+){4}$/);
    expect(text("admin-password")).toMatch(/^[a-z]+(-[a-z]+){5}$/);
    expect(text("token")).toMatch(/^web1_[0-9A-Za-z]{40}$/);
    const line = text("web/htpasswd");
    expect(line).toMatch(/^admin:\$2y\$10\$[./A-Za-z0-9]{53}\n$/);
    expect(bcrypt.compareSync(text("admin-password"), line.trim().slice("admin:".length))).toBe(true);
    // Two generations never repeat a value (each secret is drawn fresh).
    expect(new Set(GENERATED.map(text)).size).toBe(GENERATED.length);
  });

  it("writes .pub companions that match their private halves", async () => {
    const { repo, rekey } = await fleet();
    expect(rekey("generate").code).toBe(0);
    const pub = (name: string) => readFileSync(path.join(repo.root, `secrets/${name}.pub`), "utf8");

    // ssh-keygen reads the key only from a file: a 0600 one in a private temp dir, removed at once.
    const scratch = await tempDir("rekey-ssh-");
    const keyFile = path.join(scratch, "id_ed25519");
    writeFileSync(keyFile, masterPlain(repo, "keys/ssh"), { mode: 0o600 });
    let derived: ReturnType<typeof spawnSync>;
    try {
      derived = spawnSync("ssh-keygen", ["-y", "-f", keyFile], { encoding: "utf8" });
    } finally {
      rmSync(keyFile, { force: true });
    }
    expect(derived.status, String(derived.stderr)).toBe(0);
    const [type, blob] = String(derived.stdout).trim().split(" ");
    expect(pub("keys/ssh")).toBe(`${type} ${blob} deploy@web1\n`);

    const wgPrivate = Buffer.from(masterPlain(repo, "keys/wg").toString("utf8").trim(), "base64");
    expect(wgPrivate).toHaveLength(32);
    expect(pub("keys/wg")).toBe(`${publicFromRaw("x25519", wgPrivate).toString("base64")}\n`);

    const identity = masterPlain(repo, "keys/age");
    const recipient = spawnSync("age-keygen", ["-y"], { input: identity, encoding: "utf8" });
    expect(recipient.status, recipient.stderr).toBe(0);
    expect(pub("keys/age")).toBe(recipient.stdout);
    expect(identity.toString("utf8")).toBe(`# public key: ${recipient.stdout.trim()}\n${identity.toString("utf8").split("\n")[1]}\n`);

    const [keyName, secretB64] = masterPlain(repo, "keys/nix").toString("utf8").split(":");
    const nixSecret = Buffer.from(secretB64 ?? "", "base64");
    expect(keyName).toBe("cache.example.org-1");
    expect(nixSecret).toHaveLength(64);
    const nixPublic = publicFromRaw("ed25519", nixSecret.subarray(0, 32));
    expect(nixSecret.subarray(32).equals(nixPublic)).toBe(true);
    expect(pub("keys/nix")).toBe(`cache.example.org-1:${nixPublic.toString("base64")}`);
  });

  it("apply then delivers every generated secret to its hosts, but never the intermediary", async () => {
    const { repo, keys, rekey } = await fleet();
    expect(rekey("generate").code).toBe(0);
    const applied = rekey("apply", "--yes");
    expect(applied.code, applied.stderr).toBe(0);
    const outputs = (host: string) => listFiles(path.join(repo.root, "secrets/rekeyed", host)).filter((f) => f.endsWith(".age"));
    expect(outputs("web1")).toEqual(GENERATED.filter((n) => n !== "admin-password").map((n) => `${n}.age`).sort());
    expect(outputs("vpn1")).toEqual(["db/hex.age"]);
    expect(listFiles(path.join(repo.root, "secrets/rekeyed")).some((f) => f.includes("admin-password"))).toBe(false);
    for (const [host, key] of Object.entries(keys)) {
      for (const out of outputs(host)) {
        const r = runAge(["-d", "-i", key, path.join(repo.root, "secrets/rekeyed", host, out)]);
        expect(r.code, `${host}/${out}: ${r.stderr}`).toBe(0);
        expect(r.bytes.equals(masterPlain(repo, out.replace(/\.age$/, ""))), `${host}/${out}`).toBe(true);
      }
    }
    const plan = rekey("plan", "--detailed-exitcode");
    expect(plan.code, plan.stdout).toBe(0);
  });

  it("--force admin-password regenerates it and the htpasswd that depends on it, nothing else", async () => {
    const { repo, rekey } = await fleet();
    expect(rekey("generate").code).toBe(0);
    const before = digests(repo);
    const pubs = ["keys/ssh", "keys/wg", "keys/age", "keys/nix"].map((n) => readFileSync(path.join(repo.root, `secrets/${n}.pub`), "utf8"));
    const forced = rekey("generate", "--force", "admin-password");
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toContain("regenerate admin-password");
    expect(forced.stdout).toContain("regenerate web/htpasswd");
    const after = digests(repo);
    expect(Object.keys(after)).toEqual(Object.keys(before));
    expect(Object.keys(after).filter((f) => after[f] !== before[f]).sort()).toEqual(["admin-password.age", "web/htpasswd.age"]);
    expect(["keys/ssh", "keys/wg", "keys/age", "keys/nix"].map((n) => readFileSync(path.join(repo.root, `secrets/${n}.pub`), "utf8"))).toEqual(pubs);
    const password = masterPlain(repo, "admin-password").toString("utf8");
    const line = masterPlain(repo, "web/htpasswd").toString("utf8").trim();
    expect(bcrypt.compareSync(password, line.slice("admin:".length))).toBe(true);
    // The regenerated pair is consistent: nothing is left to regenerate.
    expect(rekey("generate").stdout).toContain("Nothing to generate");
    expect(rekey("generate", "--force").code).toBe(64);
  });

  const broken: [string, string, (repo: TestRepo) => void, RegExp[]][] = [
    [
      "a dependency cycle",
      "  cyc-a: {generator: hex, dependencies: [cyc-b]}\n  cyc-b: {generator: hex, dependencies: [cyc-a]}\n",
      () => {},
      [/cycle/, /cyc-a -> cyc-b -> cyc-a/],
    ],
    ["an unknown generator", "  mystery: {generator: no-such-gen}\n", () => {}, [/unknown generator "no-such-gen"/, /write generators\/no-such-gen\.mjs/]],
    ["bad settings", "  short: {generator: {name: alnum, length: 3}}\n", () => {}, [/hosts\/web1\.yaml:\d+:\d+/, /'short'/, /"length" must be between 8 and 4096, got 3/]],
    [
      "a throwing plugin",
      "  zz-boom: {generator: boom}\n",
      (repo) => write(repo.root, "generators/boom.mjs", 'export default { generate() { throw new Error("kaboom"); } };\n'),
      [/generators\/boom\.mjs/, /zz-boom/, /kaboom/],
    ],
  ];

  it.each(broken)("%s exits 1 with a clear message and writes nothing", async (_what, extra, setUp, messages) => {
    const { repo, rekey } = await fleet(extra);
    setUp(repo);
    const before = treeDigest(repo.root);
    const r = rekey("generate");
    expect(r.code, r.stdout + r.stderr).toBe(1);
    for (const m of messages) expect(r.stderr).toMatch(m);
    expect(r.stderr).toMatch(/^hint: /m);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(treeDigest(repo.root)).toBe(before);
    expect(sources(repo)).toEqual([]);
  });

  it("--dry-run lists every action and writes nothing", async () => {
    const { repo, rekey } = await fleet();
    const before = treeDigest(repo.root);
    const r = rekey("generate", "--dry-run");
    expect(r.code, r.stderr).toBe(0);
    for (const name of GENERATED) expect(r.stdout).toMatch(new RegExp(`\\* generate\\s+${name}\\s+source missing`));
    expect(r.stdout).toContain(`Plan: ${GENERATED.length} to generate, 0 to create, 0 to update, 0 to remove.`);
    const json = rekey("generate", "--dry-run", "--json");
    expect(json.code, json.stderr).toBe(0);
    const doc = JSON.parse(json.stdout) as { type: string; actions: { action: string; secret: string }[] };
    expect(doc.type).toBe("plan");
    expect(doc.actions.map((a) => a.secret).sort()).toEqual(GENERATED);
    // Dependencies come first.
    const order = doc.actions.map((a) => a.secret);
    expect(order.indexOf("admin-password")).toBeLessThan(order.indexOf("web/htpasswd"));
    expect(treeDigest(repo.root)).toBe(before);
  });

  it("--tag generates only the tagged secrets, plus their missing dependencies", async () => {
    const { repo, rekey } = await fleet();
    const web = rekey("generate", "--tag", "web");
    expect(web.code, web.stderr).toBe(0);
    expect(sources(repo)).toEqual(["admin-password.age", "web/htpasswd.age"]);
    const api = rekey("generate", "--tag", "api", "--tag", "web");
    expect(api.code, api.stderr).toBe(0);
    expect(sources(repo)).toEqual(["admin-password.age", "token.age", "web/htpasswd.age"]);
    expect(rekey("generate", "--tag", "web").stdout).toContain("Nothing to generate");
    const rest = rekey("generate");
    expect(rest.code, rest.stderr).toBe(0);
    expect(rest.stdout).toContain(`Generated ${GENERATED.length - 3} secrets.`);
    expect(sources(repo)).toEqual(GENERATED.map((n) => `${n}.age`).sort());
  });
});
