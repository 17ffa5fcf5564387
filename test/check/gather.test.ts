/**
 * The store side of `rekey check`: the same loaders read the working tree or the git index.
 * Real git repositories, keys from ssh-keygen/age-keygen, sources encrypted by `age`.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { checkRepo } from "../../src/check/gather.js";
import { ensureBuilt, makeRepo, runRekey, sshKeygen, write, writeHost, writeSource } from "../e2e/helpers.js";
import { useTempDirs } from "../helpers/tmp.js";
import { requireTool } from "../helpers/tools.js";

const tools = requireTool("git") && requireTool("age") && requireTool("age-keygen") && requireTool("ssh-keygen");

function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd, encoding: "utf8" });
}

describe.runIf(tools)("checkRepo", () => {
  beforeAll(() => ensureBuilt());
  const tempDir = useTempDirs();

  /** An applied, committed repository under `sub` of a git worktree; web1's key comes from {file:}. */
  async function committed(sub = "") {
    const top = await tempDir();
    const repo = makeRepo(path.join(top, sub));
    sshKeygen(path.join(repo.root, "keys/web1"), "root@web1");
    writeSource(repo, "db", "db-secret");
    writeSource(repo, "tls/key", "tls-secret");
    writeHost(repo, "web1", "{file: keys/web1.pub}", ["db", "tls/key"]);
    const applied = runRekey(repo.root, ["apply", "--yes"]);
    expect(applied.code, applied.stderr).toBe(0);
    git(top, "init", "-q");
    git(top, "add", "-A");
    git(top, "commit", "-qm", "init");
    const file = (rel: string) => path.join(repo.root, rel);
    return { top, repo, root: repo.root, file, kinds: async (staged: boolean) => (await checkRepo(repo.root, { staged })).map((p) => `${p.kind} ${p.file}`) };
  }

  it("finds nothing wrong in a clean repository, in the working tree or the index", async () => {
    const { kinds } = await committed();
    expect(await kinds(false)).toEqual([]);
    expect(await kinds(true)).toEqual([]);
  });

  it("judges the staged blob, not the working tree file", async () => {
    const { root, file, kinds } = await committed();
    const good = readFileSync(file("secrets/db.age"));
    writeFileSync(file("secrets/db.age"), "db-secret in plaintext\n");
    git(root, "add", "secrets/db.age");
    writeFileSync(file("secrets/db.age"), good);
    expect(await kinds(true)).toEqual(["plaintext secrets/db.age"]);
    expect(await kinds(false)).toEqual([]);
  });

  it("accepts a clean index whatever the working tree holds", async () => {
    const { file, kinds } = await committed();
    writeFileSync(file("secrets/rekeyed/web1/db.age"), "leaked\n");
    write(file(""), "hosts/web1.yaml", "pubkey: {file: keys/web1.pub}\nsecrets: {db: {}, nope: {}}\n");
    expect(await kinds(true)).toEqual([]);
    expect(await kinds(false)).toEqual(["plaintext secrets/rekeyed/web1/db.age", "invalid hosts/web1.yaml"]);
  });

  it("reads a host's {file:} pubkey from the index under --staged", async () => {
    const { root, file, kinds } = await committed();
    const other = sshKeygen(path.join(await tempDir(), "other"), "root@other");
    writeFileSync(file("keys/web1.pub"), `${other.pub}\n`);
    expect(await kinds(false)).toEqual(["stale secrets/rekeyed/web1/db.age", "stale secrets/rekeyed/web1/tls/key.age"]);
    expect(await kinds(true)).toEqual([]);
    git(root, "add", "keys/web1.pub");
    expect(await kinds(true)).toEqual(["stale secrets/rekeyed/web1/db.age", "stale secrets/rekeyed/web1/tls/key.age"]);
  });

  it("reports a plaintext source, a plaintext output and an invalid manifest together", async () => {
    const { root, file } = await committed();
    writeFileSync(file("secrets/rekeyed/web1/tls/key.age"), "not age at all");
    write(root, "hosts/db1.yaml", "pubkey: age1nope\nsecrets: {db: {}}\n");
    write(root, "secrets/new.age", "plain new secret\n");
    git(root, "add", "-A");
    const problems = await checkRepo(root, { staged: true });
    expect(problems.map((p) => `${p.kind} ${p.file}`)).toEqual(["plaintext secrets/new.age", "plaintext secrets/rekeyed/web1/tls/key.age", "invalid hosts/db1.yaml"]);
    expect(problems[0]!.fix).toBe("run `git rm --cached secrets/new.age` and `rekey edit new --input FILE`");
  });

  it("sees a source edited without `rekey apply`, and an output edited by hand", async () => {
    const { repo, file, kinds } = await committed();
    writeSource(repo, "db", "db-secret-2");
    writeFileSync(file("secrets/rekeyed/web1/tls/key.age"), readFileSync(file("secrets/rekeyed/web1/db.age")));
    expect(await kinds(false)).toEqual(["stale secrets/rekeyed/web1/db.age", "tampered secrets/rekeyed/web1/tls/key.age"]);
  });

  it("under --staged, judges each output streamed from the index: two with one blob, a copy, a symlink", async () => {
    const { root, file, kinds } = await committed();
    // tls/key.age now holds db.age's bytes: one blob for two paths, and tls/key's is not its own.
    writeFileSync(file("secrets/rekeyed/web1/tls/key.age"), readFileSync(file("secrets/rekeyed/web1/db.age")));
    git(root, "add", "-A");
    expect(await kinds(true)).toEqual(["tampered secrets/rekeyed/web1/tls/key.age"]);
    git(root, "checkout", "--", ".");
    git(root, "reset", "-q", "--hard");
    symlinkSync("db.age", file("secrets/rekeyed/web1/link.age"));
    git(root, "add", "-A");
    await expect(checkRepo(root, { staged: true })).rejects.toThrow(/staged as a symlink/);
  });

  it("under --staged, judges outputs kept outside secrets/ (paths.output)", async () => {
    const top = await tempDir();
    const repo = makeRepo(top);
    write(top, "rekey.yaml", `${readFileSync(path.join(top, "rekey.yaml"), "utf8")}paths:\n  output: out\n`);
    sshKeygen(path.join(top, "keys/web1"), "root@web1");
    writeSource(repo, "db", "db-secret");
    writeHost(repo, "web1", "{file: keys/web1.pub}", ["db"]);
    expect(runRekey(top, ["apply", "--yes"]).code).toBe(0);
    git(top, "init", "-q");
    git(top, "add", "-A");
    expect((await checkRepo(top, { staged: true })).map((p) => `${p.kind} ${p.file}`)).toEqual([]);
    writeFileSync(path.join(top, "out/web1/db.age"), "db-secret\n");
    git(top, "add", "-A");
    expect((await checkRepo(top, { staged: true })).map((p) => `${p.kind} ${p.file}`)).toEqual(["plaintext out/web1/db.age"]);
  });

  it("works when the rekey repository is a folder of the git worktree", async () => {
    const { top, file, kinds } = await committed("infra/secrets-repo");
    writeFileSync(file("secrets/db.age"), "plain\n");
    git(top, "add", "-A");
    expect(await kinds(true)).toEqual(["plaintext secrets/db.age"]);
  });

  it("refuses --staged outside a git repository, naming what to run", async () => {
    const root = await tempDir();
    makeRepo(root);
    await expect(checkRepo(root, { staged: true })).rejects.toThrow(/not inside a git repository/);
    expect(await checkRepo(root, { staged: false })).toEqual([]);
  });
});
