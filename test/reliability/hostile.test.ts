/**
 * The hostile-input catalogue (SPEC "Guarantees", bad input): each case exits 1 with a
 * message naming the file and the problem, no stack trace, and leaves the repository (and
 * whatever a symlink points at outside it) byte for byte as it was.
 */
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ageKeygen, ensureBuilt, makeRepo, runRekey, sshKeygen, writeHost, writeSource } from "../e2e/helpers.js";
import { useTempDirs } from "../helpers/tmp.js";
import { requireTool } from "../helpers/tools.js";
import { treeDigest } from "./fleet.js";
import { HOSTILE_CASES, type BaseRepo } from "./hostile-cases.js";

const tools = requireTool("age") && requireTool("age-keygen") && requireTool("ssh-keygen");
const STACK = /^\s+at .+(:\d+:\d+\)?|native)$/m;

/** Observed results, printed at the end for the report. */
const observed: string[] = [];

describe.runIf(tools)("hostile and broken input", () => {
  const tempDir = useTempDirs();
  let template = "";
  let webManifest = "";

  afterAll(() => rmSync(template, { recursive: true, force: true }));
  beforeAll(async () => {
    ensureBuilt();
    const { mkdtemp } = await import("node:fs/promises");
    const { tmpdir } = await import("node:os");
    template = await mkdtemp(path.join(tmpdir(), "rekey-hostile-base-"));
    const repo = makeRepo(template);
    const web = sshKeygen(path.join(template, "keys/web"), "root@web");
    const db = ageKeygen(path.join(template, "keys/db.txt"));
    writeSource(repo, "db-password", "hostile-db-secret");
    writeSource(repo, "api-token", "hostile-api-token");
    writeHost(repo, "web", web.pub, ["db-password", "api-token"]);
    writeHost(repo, "db", db, ["db-password"]);
    webManifest = readFileSync(path.join(template, "hosts/web.yaml"), "utf8");
    const applied = runRekey(template, ["apply", "--yes"]);
    if (applied.code !== 0) throw new Error(`base repository does not apply: ${applied.stderr}`);
  });

  async function copy(): Promise<BaseRepo> {
    const dir = await tempDir("rekey-hostile-");
    const root = path.join(dir, "repo");
    const outside = path.join(dir, "outside");
    cpSync(template, root, { recursive: true });
    mkdirSync(outside);
    return { root, outside, webManifest };
  }

  for (const c of HOSTILE_CASES) {
    it(c.name, async () => {
      const repo = await copy();
      c.setup(repo);
      const before = { repo: treeDigest(repo.root), outside: treeDigest(repo.outside) };
      const env = Object.fromEntries(Object.entries(c.env ?? {}).map(([k, v]) => [k, v.replace("@outside", repo.outside)]));
      const r = runRekey(repo.root, c.args ?? ["apply", "--yes"], env);
      // A list of problems ("error: 1 problem:") names each on its own line: read the first one too.
      const lines = r.stderr.split("\n");
      const first = /^error: \d+ problems?:$/.test(lines[0] ?? "") ? `${lines[0]} ${lines[1]?.trim() ?? ""}` : (lines[0] ?? "");
      observed.push(`${c.name} | exit ${r.code} | ${first.length > 200 ? `${first.slice(0, 200)}...` : first}`);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).not.toMatch(STACK);
      expect(r.stderr).not.toContain("internal error");
      expect(first).toContain(c.file);
      expect(r.stderr).toMatch(c.problem);
      expect(treeDigest(repo.root), "the repository changed").toBe(before.repo);
      expect(treeDigest(repo.outside), "a file outside the repository changed").toBe(before.outside);
    });
  }

  it("a generator plugin that prints to stdout does not corrupt --json output", async () => {
    const repo = await copy();
    mkdirSync(path.join(repo.root, "generators"), { recursive: true });
    writeFileSync(path.join(repo.root, "generators/chatty.mjs"), 'export default { name: "chatty", generate() { console.log("chatty says hi"); process.stdout.write("no newline"); return { secret: "s3cret" }; } };\n', { flag: "w" });
    writeFileSync(path.join(repo.root, "hosts/web.yaml"), `${repo.webManifest}  loud: {generator: chatty}\n`);
    for (const args of [["generate", "--json"], ["apply", "--yes", "--json"]]) {
      const r = runRekey(repo.root, args);
      observed.push(`chatty generator, ${args.join(" ")} | exit ${r.code} | ${r.stdout.split("\n")[0]!.slice(0, 120)}`);
      expect(r.code, r.stderr).toBe(0);
      for (const line of r.stdout.split("\n").filter((l) => l !== "")) expect(() => JSON.parse(line) as unknown, line).not.toThrow();
    }
  });

  it("prints what each case observed", () => {
    console.log(`hostile catalogue (${observed.length} runs):\n${observed.join("\n")}`);
    expect(observed.length).toBeGreaterThan(0);
  });
});
