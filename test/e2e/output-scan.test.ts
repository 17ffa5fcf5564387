/**
 * The output folder is listed when the state is loaded, and each host's outputs are hashed
 * and its record read when the planner reaches that host, kept for the last few hosts only
 * (state.ts). On a fleet of more hosts than are kept, the plan must still see every host's
 * outputs and records as they are on disk, and a bad record must still stop the run.
 */
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { useTempDirs } from "../helpers/tmp.js";
import { requireTool } from "../helpers/tools.js";
import { ageKeygen, ensureBuilt, makeRepo, runRekey, writeHost, writeSource } from "./helpers.js";

const tools = requireTool("age") && requireTool("age-keygen");

describe.runIf(tools)("the output scan on a fleet of more hosts than it keeps", () => {
  beforeAll(() => ensureBuilt());
  const tempDir = useTempDirs();

  it("plans every host from its own folder and record, and stops on a record that names another host", async () => {
    const repo = makeRepo(await tempDir());
    for (const s of ["a", "b", "c"]) writeSource(repo, s, `plaintext of ${s}`);
    const hosts = Array.from({ length: 40 }, (_, i) => `h${String(i).padStart(2, "0")}`);
    for (const h of hosts) writeHost(repo, h, ageKeygen(path.join(repo.root, `keys/${h}.txt`)), ["a", "b", "c"]);
    expect(runRekey(repo.root, ["apply", "--yes"]).code).toBe(0);

    const out = (h: string, s: string) => path.join(repo.root, "secrets/rekeyed", h, s);
    appendFileSync(out("h01", "b.age"), "x"); // tampered, early in the fleet
    appendFileSync(out("h38", "c.age"), "x"); // and late
    writeHost(repo, "h20", readFileSync(path.join(repo.root, "hosts/h20.yaml"), "utf8").match(/^pubkey: (.*)$/m)![1]!, ["a", "c"]); // b orphaned
    const plan = runRekey(repo.root, ["plan", "--json"]);
    const actions = (JSON.parse(plan.stdout) as { actions: { action: string; host: string; secret: string }[] }).actions.map((a) => `${a.action} ${a.host}/${a.secret}`);
    expect(actions).toEqual(["update h01/b", "update h38/c", "remove h20/b"]);
    // Twice, in the same run: `check` reads the outputs first, then plans.
    expect(runRekey(repo.root, ["check"]).code).not.toBe(0);

    // A record moved to another host's folder is refused, wherever the host is in the fleet.
    const record = (h: string) => path.join(repo.root, "secrets/rekeyed", h, "provenance.yaml");
    expect(runRekey(repo.root, ["apply", "--yes"]).code).toBe(0);
    writeFileSync(record("h33"), readFileSync(record("h32")));
    const bad = runRekey(repo.root, ["plan"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("names host 'h32' but sits in the folder of 'h33'");
  }, 120_000);
});
