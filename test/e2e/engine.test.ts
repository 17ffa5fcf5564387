/**
 * Acceptance of the engine (issue 3): the built CLI on fresh temporary repositories, with
 * keys from ssh-keygen and age-keygen and sources encrypted by the real `age` CLI.
 */
import { appendFileSync, existsSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Identity } from "age-encryption";
import { beforeAll, describe, expect, it } from "vitest";
import { applyPlan } from "../../src/apply/apply.js";
import { RecordingReporter } from "../../src/apply/events.js";
import { planRekey } from "../../src/core/planner.js";
import { parseIdentities, sshPrivateKeyToAge } from "../../src/crypto/index.js";
import { openRepo } from "../../src/store/config.js";
import { loadState } from "../../src/store/state.js";
import { useTempDirs } from "../helpers/tmp.js";
import { requireTool } from "../helpers/tools.js";
import {
  ageDecrypt, ageKeygen, ensureBuilt, hasBuiltCommand, listFiles, makeRepo, runRekey, runRekeyClosedStdout, sshKeygen, treeDigest, write, writeHost, writeSource, type TestRepo,
} from "./helpers.js";

const tools = requireTool("age") && requireTool("age-keygen") && requireTool("ssh-keygen");
const SUMMARY_EMPTY = "Plan: 0 to generate, 0 to create, 0 to update, 0 to remove.";

describe.runIf(tools)("engine acceptance (issue 3)", () => {
  beforeAll(() => ensureBuilt());
  const tempDir = useTempDirs();

  /** web1 (inline ssh key), db1 (ssh key from {file:}), vpn1 (age key): 5 outputs in all. */
  async function fleet() {
    const repo = makeRepo(await tempDir());
    const web1 = sshKeygen(path.join(repo.root, "keys/web1"), "root@web1");
    const db1 = sshKeygen(path.join(repo.root, "keys/db1"), "root@db1");
    const vpn1 = ageKeygen(path.join(repo.root, "keys/vpn1.txt"));
    writeSource(repo, "db-password", "db-secret-1");
    writeSource(repo, "api-token", "token-1");
    writeSource(repo, "tls/cert", "cert-1");
    writeHost(repo, "web1", web1.pub, ["db-password", "tls/cert"]);
    writeHost(repo, "db1", "{file: keys/db1.pub}", ["db-password", "api-token"]);
    writeHost(repo, "vpn1", vpn1, ["db-password"]);
    const keys = { web1: web1.key, db1: db1.key, vpn1: path.join(repo.root, "keys/vpn1.txt") };
    return { repo, keys, rekey: (...args: string[]) => runRekey(repo.root, args) };
  }

  async function appliedFleet() {
    const f = await fleet();
    expect(f.rekey("apply", "--yes").code).toBe(0);
    return f;
  }

  const out = (repo: TestRepo, host: string, secret: string) => path.join(repo.root, "secrets/rekeyed", host, `${secret}.age`);
  const planLines = (stdout: string) => stdout.split("\n").filter((l) => /^ {2}[-+~*] /.test(l)).map((l) => l.trim().replace(/\s{2,}/g, " | "));

  function expectConverges(rekey: (...args: string[]) => { code: number; stdout: string; stderr: string }) {
    const applied = rekey("apply", "--yes");
    expect(applied.code, applied.stderr).toBe(0);
    const after = rekey("plan", "--detailed-exitcode");
    expect(after.code, after.stdout).toBe(0);
    expect(after.stdout).toContain(SUMMARY_EMPTY);
  }

  it("plans one create per (host, secret), exiting 2 with --detailed-exitcode, and as --json", async () => {
    const { rekey } = await fleet();
    const plan = rekey("plan", "--detailed-exitcode");
    expect(plan.code, plan.stderr).toBe(2);
    expect(planLines(plan.stdout)).toEqual([
      "+ create | db1 | api-token | output missing",
      "+ create | db1 | db-password | output missing",
      "+ create | vpn1 | db-password | output missing",
      "+ create | web1 | db-password | output missing",
      "+ create | web1 | tls/cert | output missing",
    ]);
    expect(plan.stdout).toContain("Plan: 0 to generate, 5 to create, 0 to update, 0 to remove.");
    const json = rekey("plan", "--json");
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.stdout) as { format_version: number; actions: { action: string; host: string; secret: string; reason: string }[]; summary: object };
    expect(doc.format_version).toBe(1);
    expect(doc.summary).toEqual({ generate: 0, create: 5, update: 0, remove: 0 });
    expect(doc.actions).toContainEqual({ action: "create", host: "vpn1", secret: "db-password", reason: "output missing" });
    expect(doc.actions).toHaveLength(5);
  });

  it("applies outputs that each host, and only that host, decrypts with its own key; then plans nothing", async () => {
    const { repo, keys, rekey } = await fleet();
    const applied = rekey("apply", "--yes");
    expect(applied.code, applied.stderr).toBe(0);
    expect(ageDecrypt(out(repo, "web1", "db-password"), keys.web1).stdout).toBe("db-secret-1");
    expect(ageDecrypt(out(repo, "web1", "tls/cert"), keys.web1).stdout).toBe("cert-1");
    expect(ageDecrypt(out(repo, "db1", "api-token"), keys.db1).stdout).toBe("token-1");
    expect(ageDecrypt(out(repo, "vpn1", "db-password"), keys.vpn1).stdout).toBe("db-secret-1");
    // Another host's key opens nothing, and a host receives only its own secrets.
    expect(ageDecrypt(out(repo, "web1", "db-password"), keys.db1).code).not.toBe(0);
    expect(ageDecrypt(out(repo, "db1", "db-password"), keys.web1).code).not.toBe(0);
    expect(ageDecrypt(out(repo, "vpn1", "db-password"), keys.web1).code).not.toBe(0);
    expect(listFiles(path.join(repo.root, "secrets/rekeyed/vpn1"))).toEqual(["db-password.age", "provenance.yaml"]);

    const plan = rekey("plan", "--detailed-exitcode");
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain(SUMMARY_EMPTY);
    expect(rekey("apply", "--yes").code).toBe(0);
  });

  it("updates a changed source for every host that has it, and nothing else", async () => {
    const { repo, keys, rekey } = await appliedFleet();
    const untouched = readFileSync(out(repo, "db1", "api-token"));
    writeSource(repo, "db-password", "db-secret-2");
    const plan = rekey("plan", "--detailed-exitcode");
    expect(plan.code).toBe(2);
    expect(planLines(plan.stdout)).toEqual([
      "~ update | db1 | db-password | source changed",
      "~ update | vpn1 | db-password | source changed",
      "~ update | web1 | db-password | source changed",
    ]);
    expectConverges(rekey);
    expect(ageDecrypt(out(repo, "db1", "db-password"), keys.db1).stdout).toBe("db-secret-2");
    expect(ageDecrypt(out(repo, "vpn1", "db-password"), keys.vpn1).stdout).toBe("db-secret-2");
    expect(readFileSync(out(repo, "db1", "api-token"))).toEqual(untouched);
  });

  it("updates only the host whose inline key changed", async () => {
    const { repo, rekey } = await appliedFleet();
    const web1 = sshKeygen(path.join(repo.root, "keys/web1-new"), "root@web1");
    writeHost(repo, "web1", web1.pub, ["db-password", "tls/cert"]);
    expect(planLines(rekey("plan").stdout)).toEqual(["~ update | web1 | db-password | host key changed", "~ update | web1 | tls/cert | host key changed"]);
    expectConverges(rekey);
    expect(ageDecrypt(out(repo, "web1", "tls/cert"), web1.key).stdout).toBe("cert-1");
  });

  it("updates only the host whose key file ({file:}) changed", async () => {
    const { repo, keys, rekey } = await appliedFleet();
    rmSync(keys.db1);
    rmSync(`${keys.db1}.pub`);
    sshKeygen(keys.db1, "root@db1");
    expect(planLines(rekey("plan").stdout)).toEqual(["~ update | db1 | api-token | host key changed", "~ update | db1 | db-password | host key changed"]);
    expectConverges(rekey);
    expect(ageDecrypt(out(repo, "db1", "api-token"), keys.db1).stdout).toBe("token-1");
  });

  it("removes the outputs and folder of a host whose manifest was deleted", async () => {
    const { repo, rekey } = await appliedFleet();
    rmSync(path.join(repo.root, "hosts/vpn1.yaml"));
    expect(planLines(rekey("plan").stdout)).toEqual(["- remove | vpn1 | db-password | host no longer declared"]);
    expectConverges(rekey);
    expect(existsSync(path.join(repo.root, "secrets/rekeyed/vpn1"))).toBe(false);
    expect(existsSync(out(repo, "web1", "db-password"))).toBe(true);
  });

  it("reports an output changed outside rekey, and rewrites it", async () => {
    const { repo, keys, rekey } = await appliedFleet();
    appendFileSync(out(repo, "web1", "tls/cert"), "x");
    expect(planLines(rekey("plan").stdout)).toEqual(["~ update | web1 | tls/cert | output changed outside rekey (or by an interrupted apply)"]);
    expectConverges(rekey);
    expect(ageDecrypt(out(repo, "web1", "tls/cert"), keys.web1).stdout).toBe("cert-1");
  });

  describe("refuses a bad source, writing nothing", () => {
    const cases: [string, (repo: TestRepo, file: string) => void, RegExp][] = [
      ["plaintext", (_repo, file) => writeFileSync(file, "just some text, not encrypted\n"), /not an age file/],
      ["truncated in its payload", (_repo, file) => truncateSync(file, readFileSync(file).length - 20), /payload is corrupt/],
      ["truncated in its header", (_repo, file) => truncateSync(file, 40), /damaged age file|not an age file/],
      ["encrypted to the wrong master key", (repo, file) => {
        const other = ageKeygen(path.join(repo.root, "..", `${path.basename(repo.root)}-other.txt`));
        rmSync(file);
        writeSource(repo, "bad", "value", other);
      }, /master identity/],
    ];
    for (const [what, spoil, why] of cases) {
      it(`when the source is ${what}`, async () => {
        const { repo, rekey } = await appliedFleet();
        writeSource(repo, "bad", "value");
        writeHost(repo, "web1", readFileSync(path.join(repo.root, "keys/web1.pub"), "utf8").trim(), ["db-password", "tls/cert", "bad"]);
        spoil(repo, path.join(repo.root, "secrets/bad.age"));
        const before = treeDigest(repo.root);
        const r = rekey("apply", "--yes");
        expect(r.code, r.stderr).toBe(1);
        expect(r.stderr).toContain("secrets/bad.age");
        expect(r.stderr).toMatch(why);
        expect(r.stderr).toMatch(/hint: .*(rekey edit bad|git)/);
        expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
        expect(treeDigest(repo.root)).toBe(before);
      });
    }
  });

  it("applies a saved plan, and refuses it once a source changed", async () => {
    const { repo, rekey } = await fleet();
    const planFile = path.join(await tempDir("rekey-plan-"), "plan.json");
    expect(rekey("plan", "--out", planFile).code).toBe(0);
    const applied = rekey("apply", planFile);
    expect(applied.code, applied.stderr).toBe(0);
    expect(listFiles(path.join(repo.root, "secrets/rekeyed/web1"))).toEqual(["db-password.age", "provenance.yaml", "tls/cert.age"]);

    writeSource(repo, "api-token", "token-2");
    expect(rekey("plan", "--out", planFile).code).toBe(0);
    writeSource(repo, "api-token", "token-3");
    const before = treeDigest(repo.root);
    const stale = rekey("apply", planFile);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/stale/);
    expect(stale.stderr).toContain("rekey plan --out");
    expect(treeDigest(repo.root)).toBe(before);
  });

  it("runs to the end, with its own exit code and no error, when the reader of its output has gone", async () => {
    const { repo, rekey } = await fleet();
    for (const args of [["plan", "--detailed-exitcode"], ["plan", "--json"]]) {
      const r = await runRekeyClosedStdout(repo.root, args);
      expect(r, args.join(" ")).toEqual({ code: args[1] === "--detailed-exitcode" ? 2 : 0, stderr: "" });
    }
    const applied = await runRekeyClosedStdout(repo.root, ["apply", "--yes", "--json"]);
    expect(applied).toEqual({ code: 0, stderr: "" });
    // Not cut short: every output was written and recorded.
    expect(listFiles(path.join(repo.root, "secrets/rekeyed")).filter((f) => f.endsWith(".age"))).toHaveLength(5);
    expect(rekey("plan", "--detailed-exitcode").code).toBe(0);
  });

  it("without a TTY and without --yes, apply asks for --yes and writes nothing", async () => {
    const { repo, rekey } = await fleet();
    const before = treeDigest(repo.root);
    const r = rekey("apply");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("--yes");
    expect(treeDigest(repo.root)).toBe(before);
  });

  it("writes an X25519 stanza for `stanza: x25519` on an ssh host, opened by the converted key", async () => {
    const repo = makeRepo(await tempDir());
    const host = sshKeygen(path.join(repo.root, "keys/sops1"), "root@sops1");
    writeSource(repo, "token", "converted-1");
    writeHost(repo, "sops1", host.pub, ["token"], "stanza: x25519");
    expect(runRekey(repo.root, ["apply", "--yes"]).code).toBe(0);
    const file = out(repo, "sops1", "token");
    const header = readFileSync(file, "latin1").split("\n---")[0]!;
    expect(header).toMatch(/^-> X25519 /m);
    expect(header).not.toMatch(/^-> ssh-ed25519 /m);
    let converted: string;
    if (hasBuiltCommand("ssh-to-age")) {
      const r = runRekey(repo.root, ["ssh-to-age", "--private-key", host.key]);
      expect(r.code, r.stderr).toBe(0);
      converted = r.stdout.trim();
    } else converted = sshPrivateKeyToAge(readFileSync(host.key, "utf8"));
    expect(converted).toMatch(/^AGE-SECRET-KEY-1/);
    const identity = path.join(await tempDir("rekey-id-"), "converted.txt");
    writeFileSync(identity, `${converted}\n`, { mode: 0o600 });
    expect(ageDecrypt(file, identity).stdout).toBe("converted-1");
    expect(ageDecrypt(file, host.key).code).not.toBe(0);
  });

  it("reports every manifest problem with file:line:col in one run", async () => {
    const repo = makeRepo(await tempDir());
    const { pub } = sshKeygen(path.join(repo.root, "keys/h"), "root@h");
    writeSource(repo, "ok", "v");
    write(repo.root, "hosts/a.yaml", `pubkey: ${pub}\nsecrets:\n  ok: {}\nsecretz: {}\n`);
    write(repo.root, "hosts/b.yaml", "pubkey: ssh-ed25519 AAAAnotakey\nsecrets:\n  ok: {}\n");
    write(repo.root, "hosts/c.yaml", `pubkey: ${pub}\nsecrets:\n  ../escape: {}\n`);
    write(repo.root, "hosts/d.yaml", `pubkey: ${pub}\nsecrets:\n  "nomatch/*": {}\n`);
    write(repo.root, "hosts/e.yaml", `pubkey: ${pub}\nsecrets:\n  ok: {}\n  missing: {}\n`);
    const before = treeDigest(repo.root);
    const r = runRekey(repo.root, ["plan"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/hosts\/a\.yaml:4:1: unknown key 'secretz'/);
    expect(r.stderr).toMatch(/hosts\/b\.yaml:1:9: bad pubkey/);
    expect(r.stderr).toMatch(/hosts\/c\.yaml:3:3: secret name '\.\.\/escape' contains '\.\.'/);
    expect(r.stderr).toMatch(/hosts\/d\.yaml:3:3: the glob 'nomatch\/\*' matches no source/);
    expect(r.stderr).toMatch(/hosts\/e\.yaml:4:3: secret 'missing' has no source .*rekey edit missing/);
    expect(r.stderr).toMatch(/^hint: /m);
    expect(treeDigest(repo.root)).toBe(before);
    expect(runRekey(repo.root, ["apply", "--yes"]).code).toBe(1);
    expect(treeDigest(repo.root)).toBe(before);
  });

  it("decrypts each source once, however many hosts receive it (5 sources x 20 hosts)", async () => {
    const repo = makeRepo(await tempDir());
    const secrets = ["s1", "s2", "s3", "s4", "s5"];
    for (const s of secrets) writeSource(repo, s, `value-${s}`);
    for (let i = 0; i < 20; i++) writeHost(repo, `h${String(i).padStart(2, "0")}`, ageKeygen(path.join(repo.root, `keys/h${i}.txt`)), secrets);
    const loaded = await loadState(openRepo(repo.root));
    const plan = planRekey(loaded.state);
    expect(plan.summary.create).toBe(100);

    const [master] = parseIdentities(readFileSync(repo.masterIdentity, "utf8"), repo.masterIdentity);
    let unwraps = 0;
    const counting: Identity = {
      unwrapFileKey: async (stanzas) => {
        const key = await master!.unwrapFileKey(stanzas);
        if (key !== null) unwraps++;
        return key;
      },
    };
    const reporter = new RecordingReporter();
    const result = await applyPlan(loaded, plan, {}, { identities: [counting], reporter });
    expect(unwraps).toBe(5);
    expect(result.decrypted).toBe(5);
    expect(result.written).toBe(100);
    expect(reporter.events.filter((e) => e.type === "decrypt").map((e) => (e as { secret: string }).secret)).toEqual(secrets);
    expect(ageDecrypt(out(repo, "h07", "s3"), path.join(repo.root, "keys/h7.txt")).stdout).toBe("value-s3");
    expect(planRekey((await loadState(openRepo(repo.root))).state).actions).toEqual([]);
  });
});
