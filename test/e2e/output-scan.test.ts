/**
 * The output folder is listed when the state is loaded, and each host's outputs are hashed
 * and its record read when the planner reaches that host, kept for the last hosts read, up to
 * 16,384 outputs (state.ts). On a fleet of more outputs than are kept, the plan must still see
 * every host's outputs and records as they are on disk, apply must merge each record with what
 * it held, and a bad record must still stop the run.
 */
import { randomBytes } from "node:crypto";
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { useTempDirs } from "../helpers/tmp.js";
import { requireTool } from "../helpers/tools.js";
import { rawPublicKey, x25519PrivateKey } from "../../src/crypto/primitives.js";
import { encodeX25519Recipient } from "../../src/crypto/x25519.js";
import { ensureBuilt, makeRepo, runRekey, writeHost, writeSource } from "./helpers.js";

const tools = requireTool("age") && requireTool("age-keygen");

describe.runIf(tools)("the output scan on a fleet of more hosts than it keeps", () => {
  beforeAll(() => ensureBuilt());
  const tempDir = useTempDirs();

  it("plans every host from its own folder and record, and stops on a record that names another host", async () => {
    const repo = makeRepo(await tempDir());
    // 170 hosts x 100 sources: 17,000 outputs, more than the 16,384 whose digests and records are kept.
    const secrets = Array.from({ length: 100 }, (_, i) => `s${String(i).padStart(3, "0")}`);
    for (const s of secrets) writeSource(repo, s, `plaintext of ${s}`);
    const hosts = Array.from({ length: 170 }, (_, i) => `h${String(i).padStart(3, "0")}`);
    for (const h of hosts) {
      // Not generateKeyPairSync, which can deadlock Node 20 under GC (see bench/workload.ts).
      writeHost(repo, h, encodeX25519Recipient(rawPublicKey(x25519PrivateKey(randomBytes(32)))), secrets);
    }
    expect(runRekey(repo.root, ["apply", "--yes"]).code).toBe(0);

    const out = (h: string, s: string) => path.join(repo.root, "secrets/rekeyed", h, `${s}.age`);
    appendFileSync(out("h001", "s050"), "x"); // tampered, early in the fleet
    appendFileSync(out("h168", "s099"), "x"); // and late
    const pubkey = (h: string) => readFileSync(path.join(repo.root, `hosts/${h}.yaml`), "utf8").match(/^pubkey: (.*)$/m)![1]!;
    writeHost(repo, "h020", pubkey("h020"), secrets.filter((s) => s !== "s007")); // s007 orphaned
    const plan = runRekey(repo.root, ["plan", "--json"]);
    const actions = (JSON.parse(plan.stdout) as { actions: { action: string; host: string; secret: string }[] }).actions.map((a) => `${a.action} ${a.host}/${a.secret}`);
    expect(actions).toEqual(["update h001/s050", "update h168/s099", "remove h020/s007"]);
    // `check` reads the outputs first, then plans.
    expect(runRekey(repo.root, ["check"]).code).not.toBe(0);
    // apply merges each written host's record with what it held, early hosts' included.
    expect(runRekey(repo.root, ["apply", "--yes"]).code).toBe(0);
    expect(runRekey(repo.root, ["plan", "--detailed-exitcode"]).code).toBe(0);

    // A record moved to another host's folder is refused, wherever the host is in the fleet.
    const record = (h: string) => path.join(repo.root, "secrets/rekeyed", h, "provenance.yaml");
    writeFileSync(record("h133"), readFileSync(record("h132")));
    const bad = runRekey(repo.root, ["plan"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("names host 'h132' but sits in the folder of 'h133'");
  }, 120_000);
});
