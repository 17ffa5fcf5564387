import { describe, expect, it } from "vitest";
import { judgeCheck, problemsToJson, renderProblems, type CheckFindings } from "../../src/check/judge.js";
import { Reason, summarize, type Action } from "../../src/core/plan.js";

const paths = { secrets: "secrets", hosts: "hosts", generators: "generators", output: "secrets/rekeyed" };

function findings(over: Partial<CheckFindings> = {}): CheckFindings {
  return { paths, staged: false, badAgeFiles: [], failures: [], ...over };
}

function plan(...actions: Action[]) {
  return { actions, summary: summarize(actions) };
}

describe("judgeCheck", () => {
  it("finds nothing wrong in a clean repository with an empty plan", () => {
    expect(judgeCheck(findings({ plan: plan() }))).toEqual([]);
  });

  it("flags a staged plaintext source with the git and rekey commands that fix it", () => {
    const [p] = judgeCheck(findings({ staged: true, badAgeFiles: [{ file: "secrets/x.age", verdict: "plaintext" }] }));
    expect(p).toEqual({
      kind: "plaintext",
      file: "secrets/x.age",
      message: "secrets/x.age is not an age file (plaintext?)",
      fix: "run `git rm --cached secrets/x.age` and `rekey edit x --input FILE`",
    });
  });

  it("names nested sources by their secret name and says an empty file is empty", () => {
    const [p] = judgeCheck(findings({ badAgeFiles: [{ file: "secrets/tls/web.key.age", verdict: "empty" }] }));
    expect(p!.message).toBe("secrets/tls/web.key.age is empty, not an age file");
    expect(p!.fix).toContain("rekey edit tls/web.key --input FILE");
    expect(p!.fix).not.toContain("git rm");
  });

  it("tells to re-apply a plaintext output, and to restore a damaged source", () => {
    const problems = judgeCheck(
      findings({
        staged: true,
        badAgeFiles: [
          { file: "secrets/rekeyed/web1/db.age", verdict: "plaintext" },
          { file: "secrets/db.age", verdict: "damaged", detail: "the header MAC is wrong" },
        ],
      }),
    );
    expect(problems[0]!.fix).toBe("run `git rm --cached secrets/rekeyed/web1/db.age`, then `rekey apply` and `git add secrets/rekeyed`");
    expect(problems[1]).toMatchObject({ kind: "damaged", message: "secrets/db.age is a damaged age file: the header MAC is wrong" });
    expect(problems[1]!.fix).toContain("git checkout HEAD -- secrets/db.age");
  });

  it("splits a multi-problem validation error into one problem per file line", () => {
    const problems = judgeCheck(
      findings({
        failures: [{ code: "INVALID_MANIFEST", file: "hosts/a.yaml", message: "2 problems:\n  hosts/a.yaml:3:1: unknown key 'secret'\n  hosts/b.yaml:1:9: bad pubkey", hint: "Fix the manifests." }],
      }),
    );
    expect(problems).toEqual([
      { kind: "invalid", file: "hosts/a.yaml", message: "hosts/a.yaml:3:1: unknown key 'secret'", fix: "Fix the manifests." },
      { kind: "invalid", file: "hosts/b.yaml", message: "hosts/b.yaml:1:9: bad pubkey", fix: "Fix the manifests." },
    ]);
  });

  it("keeps a single-line failure whole, with a default fix when it has no hint", () => {
    const [p] = judgeCheck(findings({ failures: [{ code: "GENERATOR_CYCLE", message: "a cycle: a -> b -> a" }] }));
    expect(p).toEqual({ kind: "invalid", file: "", message: "a cycle: a -> b -> a", fix: "fix it, then run `rekey check` again" });
  });

  it("tells a tampered output from a stale one, a missing one and an orphan", () => {
    const problems = judgeCheck(
      findings({
        staged: true,
        plan: plan(
          { action: "generate", host: null, secret: "wg", reason: Reason.generate("wireguard") },
          { action: "create", host: "web1", secret: "db", reason: Reason.outputMissing },
          { action: "update", host: "web1", secret: "api", reason: Reason.sourceChanged },
          { action: "update", host: "web1", secret: "tls", reason: Reason.tampered },
          { action: "remove", host: "old", secret: "db", reason: Reason.hostRemoved },
        ),
      }),
    );
    expect(problems.map((p) => [p.kind, p.file])).toEqual([
      ["pending", "secrets/wg.age"],
      ["stale", "secrets/rekeyed/web1/db.age"],
      ["stale", "secrets/rekeyed/web1/api.age"],
      ["tampered", "secrets/rekeyed/web1/tls.age"],
      ["stale", "secrets/rekeyed/old/db.age"],
    ]);
    expect(problems[1]!.message).toBe("secrets/rekeyed/web1/db.age is missing (output missing)");
    expect(problems[3]!.message).toContain("was changed outside rekey");
    expect(problems[4]!.message).toContain("is an orphan");
    expect(problems[2]!.fix).toBe("run `rekey apply`, then `git add secrets/rekeyed`");
    expect(problems[0]!.fix).toBe("run `rekey apply`, then `git add secrets`");
  });

  it("follows custom paths", () => {
    const custom = { secrets: "vault", hosts: "machines", generators: "gen", output: "out" };
    const problems = judgeCheck({ ...findings({ plan: plan({ action: "create", host: "h", secret: "s", reason: Reason.outputMissing }) }), paths: custom, badAgeFiles: [{ file: "out/h/x.age", verdict: "plaintext" }] });
    expect(problems.map((p) => p.fix)).toEqual(["run `rekey apply` and `git add out`", "run `rekey apply` and `git add out`"]);
    expect(problems[1]!.file).toBe("out/h/s.age");
  });
});

describe("renderProblems and problemsToJson", () => {
  const problems = judgeCheck(findings({ staged: true, badAgeFiles: [{ file: "secrets/x.age", verdict: "plaintext" }] }));

  it("prints one line per problem with its fix, then a count", () => {
    expect(renderProblems(problems, true)).toBe(
      "secrets/x.age is not an age file (plaintext?) — run `git rm --cached secrets/x.age` and `rekey edit x --input FILE`\n\nrekey check: 1 problem in the staged files.\n",
    );
    expect(renderProblems([], false)).toBe("");
  });

  it("gives the JSON document {ok, problems}", () => {
    expect(problemsToJson([])).toEqual({ ok: true, problems: [] });
    expect(problemsToJson(problems)).toEqual({ ok: false, problems: [{ kind: "plaintext", file: "secrets/x.age", message: "secrets/x.age is not an age file (plaintext?)", fix: problems[0]!.fix }] });
  });
});
