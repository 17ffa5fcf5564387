/**
 * `rekey hook install` and the hook itself, end to end: the built CLI in temporary git
 * repositories, and real `git commit`s that the hook rejects, then accepts once fixed.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { HOOK_BEGIN } from "../../src/check/hook-script.js";
import { useTempDirs } from "../helpers/tmp.js";
import { requireTool } from "../helpers/tools.js";
import { ensureBuilt, makeRepo, runRekey, sshKeygen, write, writeHost, writeSource, type RunResult } from "./helpers.js";

const tools = requireTool("git") && requireTool("age") && requireTool("age-keygen") && requireTool("ssh-keygen");

describe.runIf(tools)("rekey hook install and the pre-commit hook", () => {
  beforeAll(() => ensureBuilt());
  const tempDir = useTempDirs();

  /** git, isolated from the user's and the system's configuration. */
  function git(cwd: string, ...args: string[]): RunResult {
    const env = { ...process.env, GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null", GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.com", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.com" };
    const r = spawnSync("git", args, { cwd, env, encoding: "utf8" });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  }

  /** An applied repository, committed, under `sub` of a fresh git worktree. */
  async function committed(sub = "") {
    const top = await tempDir();
    git(top, "init", "-q");
    const repo = makeRepo(path.join(top, sub));
    const web1 = sshKeygen(path.join(repo.root, "keys/web1"), "root@web1");
    writeSource(repo, "db", "db-secret");
    writeSource(repo, "api", "api-secret");
    writeHost(repo, "web1", web1.pub, ["db", "api"]);
    expect(runRekey(repo.root, ["apply", "--yes"]).code).toBe(0);
    expect(git(top, "add", "-A").code).toBe(0);
    expect(git(top, "commit", "-qm", "init").code).toBe(0);
    const commit = (message: string, ...extra: string[]) => git(top, "commit", "-m", message, ...extra);
    return { top, repo, root: repo.root, hook: path.join(top, ".git/hooks/pre-commit"), commit, rekey: (...args: string[]) => runRekey(repo.root, args) };
  }

  const output = (r: RunResult) => r.stdout + r.stderr;

  it("installs an executable hook once, however often it runs", async () => {
    const { hook, rekey } = await committed();
    const first = rekey("hook", "install");
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`Installed the pre-commit hook: ${hook}`);
    expect(statSync(hook).mode & 0o777).toBe(0o755);
    const text = readFileSync(hook, "utf8");
    expect(text.startsWith("#!/bin/sh\n")).toBe(true);
    expect(text).toContain("check --staged");
    const second = rekey("hook", "install");
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain("already installed");
    expect(readFileSync(hook, "utf8")).toBe(text);
    expect(text.split(HOOK_BEGIN).length - 1).toBe(1);
  });

  it("rejects a staged plaintext secrets/x.age, and accepts it once encrypted", async () => {
    const { top, repo, commit, rekey } = await committed();
    expect(rekey("hook", "install").code).toBe(0);
    write(repo.root, "secrets/x.age", "hunter2\n");
    git(top, "add", "secrets/x.age");
    const rejected = commit("leak");
    expect(rejected.code).not.toBe(0);
    expect(output(rejected)).toContain("secrets/x.age is not an age file (plaintext?) — run `git rm --cached secrets/x.age` and `rekey edit x --input FILE`");
    expect(git(top, "log", "--oneline").stdout.trim().split("\n")).toHaveLength(1);
    expect(git(top, "rm", "-q", "--cached", "secrets/x.age").code).toBe(0);
    writeSource(repo, "x", "hunter2");
    git(top, "add", "secrets/x.age");
    const accepted = commit("encrypted");
    expect(accepted.code, output(accepted)).toBe(0);
  });

  it("rejects a source edited without `rekey apply` (also with commit -a), and accepts it after apply", async () => {
    const { top, repo, commit, rekey } = await committed();
    expect(rekey("hook", "install").code).toBe(0);
    writeSource(repo, "db", "db-secret-2");
    const rejected = commit("rotate", "-a"); // git hands the hook a temporary index (GIT_INDEX_FILE)
    expect(rejected.code).not.toBe(0);
    expect(output(rejected)).toContain("secrets/rekeyed/web1/db.age is stale (source changed) — run `rekey apply`, then `git add secrets/rekeyed`");
    expect(rekey("apply", "--yes").code).toBe(0);
    git(top, "add", "-A");
    const accepted = commit("rotate");
    expect(accepted.code, output(accepted)).toBe(0);
  });

  it("rejects a hand-edited output, and accepts it once rekey rewrote it", async () => {
    const { top, root, commit, rekey } = await committed();
    expect(rekey("hook", "install").code).toBe(0);
    const out = (s: string) => path.join(root, "secrets/rekeyed/web1", `${s}.age`);
    copyFileSync(out("api"), out("db")); // still a valid age file, but not the one rekey wrote
    git(top, "add", "-A");
    const rejected = commit("hand edit");
    expect(rejected.code).not.toBe(0);
    expect(output(rejected)).toContain("secrets/rekeyed/web1/db.age was changed outside rekey");
    expect(rekey("apply", "--yes").code).toBe(0);
    git(top, "add", "-A");
    const accepted = commit("restored");
    expect(accepted.code, output(accepted)).toBe(0);
  });

  it("judges the index: a bad working-tree file passes --staged but fails the plain check", async () => {
    const { top, root, commit, rekey } = await committed();
    expect(rekey("hook", "install").code).toBe(0);
    write(root, "secrets/untracked.age", "plaintext\n");
    expect(rekey("check").code).toBe(1);
    expect(rekey("check", "--staged").code).toBe(0);
    write(root, "notes.txt", "hello\n");
    git(top, "add", "notes.txt");
    expect(commit("notes").code).toBe(0);
    const json = rekey("check", "--json");
    expect(JSON.parse(json.stdout)).toEqual({ ok: false, problems: [expect.objectContaining({ kind: "plaintext", file: "secrets/untracked.age" })] });
  });

  it("refuses to replace a foreign hook, leaving it unchanged", async () => {
    const { hook, rekey } = await committed();
    const foreign = "#!/bin/sh\necho foreign\n";
    writeFileSync(hook, foreign);
    chmodSync(hook, 0o700);
    const r = rekey("hook", "install");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("already exists and is not rekey's");
    expect(r.stderr).toContain("rekey hook install --chain");
    expect(readFileSync(hook, "utf8")).toBe(foreign);
    expect(statSync(hook).mode & 0o777).toBe(0o700);
  });

  it("--chain keeps the foreign hook running before rekey's check", async () => {
    const { top, root, hook, commit, rekey } = await committed();
    const ran = path.join(top, "foreign-ran");
    const foreign = `#!/bin/sh\necho ran >> '${ran}'\n`;
    writeFileSync(hook, foreign, { mode: 0o755 });
    const r = rekey("hook", "install", "--chain");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("Appended rekey's check");
    expect(readFileSync(hook, "utf8").startsWith(foreign)).toBe(true);
    expect(rekey("hook", "install", "--chain").stdout).toContain("already installed");
    write(root, "secrets/leak.age", "plaintext\n");
    git(top, "add", "-A");
    expect(commit("leak").code).not.toBe(0);
    expect(readFileSync(ran, "utf8")).toBe("ran\n");
    git(top, "rm", "-q", "--cached", "secrets/leak.age");
    rmSync(path.join(root, "secrets/leak.age"));
    write(root, "notes.txt", "ok\n");
    git(top, "add", "notes.txt");
    const accepted = commit("notes");
    expect(accepted.code, output(accepted)).toBe(0);
    expect(readFileSync(ran, "utf8")).toBe("ran\nran\n");
  });

  it("honours core.hooksPath and a rekey repository in a folder of the worktree", async () => {
    const { top, root, commit, rekey } = await committed("infra/secrets");
    git(top, "config", "core.hooksPath", ".githooks");
    const r = rekey("hook", "install");
    expect(r.code, r.stderr).toBe(0);
    const hook = path.join(top, ".githooks/pre-commit");
    expect(existsSync(hook)).toBe(true);
    expect(existsSync(path.join(top, ".git/hooks/pre-commit"))).toBe(false);
    expect(readFileSync(hook, "utf8")).toContain("-C 'infra/secrets' check --staged");
    write(root, "secrets/leak.age", "plaintext\n");
    git(top, "add", "-A");
    const rejected = commit("leak");
    expect(rejected.code).not.toBe(0);
    expect(output(rejected)).toContain("secrets/leak.age is not an age file");
  });
});
