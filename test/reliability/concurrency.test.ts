/**
 * Concurrency (SPEC "Guarantees"): two rekey processes on one repository never interleave.
 * The second waits for the lock (or fails with a clear message), the result is never
 * corrupt, and a lock left by a killed process is recovered.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, runRekey, type RunResult } from "../e2e/helpers.js";
import { useTempDirs } from "../helpers/tmp.js";
import { allFiles, leftovers, makeFleet, open, type Fleet } from "./fleet.js";

const bin = path.resolve(import.meta.dirname, "../../bin/rekey.js");
const LOCK = ".rekey.lock";

/** Starts the CLI; resolves when it exits. */
function start(cwd: string, args: readonly string[]): { child: ReturnType<typeof spawn>; done: Promise<RunResult> } {
  const child = spawn(process.execPath, [bin, ...args], { cwd, env: { ...process.env, NO_COLOR: "1", REKEY_IDENTITY: "" } });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<RunResult>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
  return { child, done };
}

/** How many outputs a --json apply run wrote. */
const writes = (r: RunResult) => r.stdout.split("\n").filter((l) => l.startsWith("{") && (JSON.parse(l) as { type: string }).type === "write").length;

/** Every output decrypts to its source's plaintext, plan is empty, and nothing is left over. */
async function expectSound(fleet: Fleet): Promise<void> {
  for (const host of fleet.hosts) {
    for (const secret of host.receives) {
      const text = await open(path.join(fleet.root, "secrets/rekeyed", host.name, `${secret}.age`), host.identities);
      const want = fleet.plaintexts.get(secret) ?? (await open(path.join(fleet.root, `secrets/${secret}.age`), fleet.master));
      expect(text).toBe(want);
    }
  }
  const plan = runRekey(fleet.root, ["plan", "--detailed-exitcode"]);
  expect(plan.code, plan.stdout + plan.stderr).toBe(0);
  expect(leftovers(fleet.root)).toEqual([]);
}

describe("two rekey processes on one repository", () => {
  beforeAll(() => ensureBuilt());
  const tempDir = useTempDirs();

  it("two applies started together: one works, the other waits and then finds nothing to do (3 rounds)", async () => {
    for (let round = 0; round < 3; round++) {
      const fleet = await makeFleet(await tempDir(), { hosts: 12, sources: 10, generated: 3 });
      const a = start(fleet.root, ["apply", "--yes", "--json"]);
      await sleep(round * 20);
      const b = start(fleet.root, ["apply", "--yes", "--json"]);
      const results = await Promise.all([a.done, b.done]);
      for (const r of results) {
        if (r.code !== 0) expect(r.stderr).toMatch(/another rekey process .*holds the repository lock/);
        else expect(r.stderr).not.toContain("internal error");
      }
      expect(results.some((r) => r.code === 0)).toBe(true);
      // They did not interleave: exactly one run wrote outputs, all of them.
      const counts = results.map(writes).sort((x, y) => x - y);
      expect(counts).toEqual([0, fleet.hosts.length * fleet.hosts[0]!.receives.length]);
      await expectSound(fleet);
    }
  });

  it("apply and generate started together never corrupt the repository", async () => {
    const fleet = await makeFleet(await tempDir(), { hosts: 12, sources: 6, generated: 5 });
    const a = start(fleet.root, ["generate"]);
    const b = start(fleet.root, ["apply", "--yes"]);
    const [ra, rb] = await Promise.all([a.done, b.done]);
    for (const r of [ra, rb]) expect(r.code === 0 || /holds the repository lock/.test(r.stderr), r.stderr).toBe(true);
    const after = runRekey(fleet.root, ["apply", "--yes"]);
    expect(after.code, after.stderr).toBe(0);
    await expectSound(fleet);
  });

  it("a lock left by a killed apply is detected and recovered", async () => {
    const fleet = await makeFleet(await tempDir(), { hosts: 20, sources: 12, generated: 2 });
    const lockPath = path.join(fleet.root, LOCK);
    const victim = start(fleet.root, ["apply", "--yes"]);
    for (let i = 0; i < 2000 && !existsSync(lockPath); i++) await sleep(5);
    expect(existsSync(lockPath), "the apply never took the lock").toBe(true);
    victim.child.kill("SIGKILL");
    await victim.done;
    expect((JSON.parse(readFileSync(lockPath, "utf8")) as { pid: number }).pid).toBe(victim.child.pid);
    const next = runRekey(fleet.root, ["apply", "--yes"]);
    expect(next.code, next.stderr).toBe(0);
    expect(existsSync(lockPath)).toBe(false);
    await expectSound(fleet);
  });

  it("a lock held by a live process makes apply exit 1 naming the holder, and changes nothing", async () => {
    const fleet = await makeFleet(await tempDir(), { hosts: 2, sources: 2, generated: 0 });
    const holder = spawn("sleep", ["30"]);
    try {
      writeFileSync(path.join(fleet.root, LOCK), JSON.stringify({ pid: holder.pid, host: hostname(), started: new Date().toISOString(), command: "rekey apply", token: "x" }));
      const r = runRekey(fleet.root, ["apply", "--yes"]);
      expect(r.code).toBe(1);
      expect(r.stderr.split("\n")[0]).toMatch(new RegExp(`another rekey process \\(pid ${holder.pid}, \`rekey apply\`.*holds the repository lock .*\\${LOCK}`));
      expect(r.stderr).toMatch(/hint: .*delete/);
      expect(allFiles(path.join(fleet.root, "secrets/rekeyed"))).toEqual([]);
    } finally {
      holder.kill();
    }
  }, 30_000);

  it("a lock with garbage content, older than 30 s, is recovered", async () => {
    const fleet = await makeFleet(await tempDir(), { hosts: 2, sources: 2, generated: 0 });
    const lockPath = path.join(fleet.root, LOCK);
    writeFileSync(lockPath, "garbage");
    spawnSync("touch", ["-d", "2 minutes ago", lockPath]);
    const r = runRekey(fleet.root, ["apply", "--yes"]);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(lockPath)).toBe(false);
  });
});
