/**
 * Crash safety (SPEC "Guarantees"): `rekey apply` and `rekey generate` are killed with
 * SIGKILL at random moments on large repositories. After each kill every file is old or
 * new and decrypts, records agree with files or `plan` reports the difference, and the
 * next `apply --yes` converges to the state of an uninterrupted run with no leftovers.
 *
 * CRASH_KILLS (default 20) sets the kills per repository; there are 3 repositories.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { encrypt, generateX25519Identity, parseIdentities, parseRecipient, x25519RecipientOf } from "../../src/crypto/index.js";
import { parseHostRecord, parseSourceRecords } from "../../src/store/provenance.js";
import { ensureBuilt } from "../e2e/helpers.js";
import { useTempDirs } from "../helpers/tmp.js";
import { requireTool } from "../helpers/tools.js";
import { allFiles, copyFleet, leftovers, makeFleet, open, runCliAsync, type Fleet } from "./fleet.js";

const KILLS = Number(process.env.CRASH_KILLS ?? 20);
const OUT = "secrets/rekeyed";
const bin = path.resolve(import.meta.dirname, "../../bin/rekey.js");
const tempDir = useTempDirs();
const runRekey = (cwd: string, args: readonly string[]) => runCliAsync(bin, cwd, args);

interface Totals { kills: number; finished: number; midWrite: number; tempsSeen: number; filesChecked: number; planRuns: number; failures: string[] }

/** Runs the CLI and SIGKILLs it after `delayMs`; resolves whether the kill landed, and how long it ran. */
function runAndKill(cwd: string, args: readonly string[], delayMs: number): Promise<{ killed: boolean; code: number | null; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [bin, ...args], { cwd, stdio: "ignore", env: { ...process.env, NO_COLOR: "1", REKEY_IDENTITY: "" } });
    const timer = setTimeout(() => child.kill("SIGKILL"), delayMs);
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      resolve({ killed: signal === "SIGKILL", code, ms: performance.now() - started });
    });
  });
}

const sha = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

/** Plaintexts of files already decrypted, by (key set, content digest): most files survive a kill unchanged. */
const opened = new Map<string, string>();
const keySets = new WeakMap<object, number>();
let keySetCount = 0;
async function openCached(file: string, identities: Parameters<typeof open>[1]): Promise<string> {
  if (!keySets.has(identities)) keySets.set(identities, keySetCount++);
  const key = `${keySets.get(identities)} ${sha(file)}`;
  const known = opened.get(key);
  if (known !== undefined) return known;
  const text = await open(file, identities);
  opened.set(key, text);
  return text;
}

/** Every .age file decrypts (outputs with the host key, sources with the master key); records parse. */
async function checkFiles(fleet: Fleet, totals: Totals, where: string): Promise<void> {
  const keys = fleet.keys;
  for (const rel of allFiles(path.join(fleet.root, "secrets"))) {
    const file = path.join(fleet.root, "secrets", rel);
    if (isTemp(rel)) continue; // temp files and staged folders: judged after the next run
    totals.filesChecked++;
    try {
      if (rel.startsWith("rekeyed/")) {
        const host = rel.split("/")[1]!;
        if (rel.endsWith("/provenance.yaml")) parseHostRecord(rel, readFileSync(file, "utf8"));
        else await openCached(file, keys.get(host) ?? []);
      } else if (rel === "provenance.yaml") parseSourceRecords(rel, readFileSync(file, "utf8"));
      else if (rel.endsWith(".age")) await openCached(file, fleet.master);
    } catch (e) {
      totals.failures.push(`${where}: ${rel}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}

/** A temp file, or a file in a folder staged by a batch (a dot-name anywhere), which rekey never reads. */
function isTemp(rel: string): boolean {
  return rel.split("/").some((segment) => segment.startsWith("."));
}

/** (host, secret) pairs whose output file and provenance record disagree. */
function recordMismatches(fleet: Fleet): string[] {
  const out: string[] = [];
  for (const host of allFiles(path.join(fleet.root, OUT)).map((f) => f.split("/")[0]!).filter((h, i, a) => a.indexOf(h) === i && !h.startsWith("."))) {
    const dir = path.join(fleet.root, OUT, host);
    const files = new Map(allFiles(dir).filter((f) => f.endsWith(".age") && !isTemp(f)).map((f) => [f.slice(0, -4), sha(path.join(dir, f))]));
    let record: ReadonlyMap<string, { output: string }> = new Map();
    try {
      record = parseHostRecord("p", readFileSync(path.join(dir, "provenance.yaml"), "utf8")).outputs;
    } catch {
      // no record: every file is unrecorded
    }
    for (const [name, digest] of files) if (record.get(name)?.output !== digest) out.push(`${host} ${name}`);
    for (const name of record.keys()) if (!files.has(name)) out.push(`${host} ${name}`);
  }
  return out;
}

/** The converged state: exactly the reference outputs, each with the expected plaintext; no leftovers. */
async function checkConverged(fleet: Fleet, reference: readonly string[], totals: Totals, where: string): Promise<void> {
  const fail = (why: string) => totals.failures.push(`${where}: ${why}`);
  const files = allFiles(path.join(fleet.root, OUT));
  if (JSON.stringify(files) !== JSON.stringify(reference)) fail(`output files differ from an uninterrupted run: ${files.filter((f) => !reference.includes(f)).slice(0, 3).join(", ")} extra, ${reference.filter((f) => !files.includes(f)).slice(0, 3).join(", ")} missing`);
  const left = leftovers(fleet.root);
  if (left.length > 0) fail(`left behind: ${left.slice(0, 3).join(", ")}${left.length > 3 ? ` and ${left.length - 3} more` : ""}`);
  const expected = new Map(fleet.plaintexts);
  for (const g of fleet.generated) {
    try {
      expected.set(g, await openCached(path.join(fleet.root, `secrets/${g}.age`), fleet.master)); // its presence, and what hosts must get
      totals.filesChecked++;
    } catch (e) {
      fail(`generated secret ${g}: ${(e as Error).message}`);
    }
  }
  try {
    const records = parseSourceRecords("secrets/provenance.yaml", readFileSync(path.join(fleet.root, "secrets/provenance.yaml"), "utf8"));
    const unrecorded = fleet.generated.filter((g) => records.get(g)?.generated === undefined);
    if (unrecorded.length > 0) fail(`generated secrets missing from secrets/provenance.yaml: ${unrecorded.join(", ")}`);
  } catch (e) {
    if (fleet.generated.length > 0) fail(`secrets/provenance.yaml: ${(e as Error).message}`);
  }
  for (const host of fleet.hosts) {
    for (const secret of host.receives) {
      totals.filesChecked++;
      try {
        const text = await openCached(path.join(fleet.root, OUT, host.name, `${secret}.age`), host.identities);
        if (text !== expected.get(secret)) fail(`${host.name}/${secret} decrypts to the wrong plaintext`);
      } catch (e) {
        fail((e as Error).message);
      }
    }
  }
}

/** Kills `rekey apply --yes` / `rekey generate` on copies of `template`, checking after each kill. */
async function crashLoop(label: string, template: Fleet, totals: Totals, kills: number): Promise<void> {
  // The uninterrupted run: its duration bounds the kill delay; its files are the target.
  const gen = await runAndKill(copyFleet(template, await tempDir("rekey-crash-gen-")).root, ["generate"], 60_000);
  const ref = copyFleet(template, await tempDir("rekey-crash-ref-"));
  const full = await runAndKill(ref.root, ["apply", "--yes"], 60_000);
  expect(full.code, `${label}: uninterrupted apply`).toBe(0);
  const reference = allFiles(path.join(ref.root, OUT));
  await checkConverged(ref, reference, totals, `${label} reference`);
  const durations = { apply: full.ms, generate: gen.ms };
  for (let i = 0, landed = 0; landed < kills && i < kills * 3; i++) {
    const fleet = copyFleet(template, await tempDir(`rekey-crash-`));
    const command = i % 4 === 3 ? ["generate"] : ["apply", "--yes"];
    const delay = Math.random() * durations[command[0] as "apply" | "generate"];
    const where = `${label} kill ${i} (${command[0]} after ${Math.round(delay)} ms)`;
    const run = await runAndKill(fleet.root, command, delay);
    if (run.killed) {
      landed++;
      totals.kills++;
      const written = allFiles(path.join(fleet.root, OUT)).filter((f) => f.endsWith(".age")).length;
      if (written > 0 && written < reference.length - fleet.hosts.length) totals.midWrite++;
      if (leftovers(fleet.root).some((f) => f.includes(".rekey-tmp-"))) totals.tempsSeen++;
    } else totals.finished++;
    await checkFiles(fleet, totals, where);
    const mismatches = recordMismatches(fleet);
    if (mismatches.length > 0 || i % 8 === 0) {
      totals.planRuns++;
      const plan = await runRekey(fleet.root, ["plan", "--json"]);
      if (plan.code !== 0) totals.failures.push(`${where}: plan exited ${plan.code}: ${plan.stderr.split("\n")[0]}`);
      else {
        const actions = (JSON.parse(plan.stdout) as { actions: { host: string | null; secret: string }[] }).actions;
        const reported = new Set(actions.map((a) => `${a.host} ${a.secret}`));
        for (const m of mismatches) if (!reported.has(m)) totals.failures.push(`${where}: ${m} differs from its record but plan does not report it`);
      }
    }
    const next = await runRekey(fleet.root, ["apply", "--yes"]);
    if (next.code !== 0) totals.failures.push(`${where}: the next apply exited ${next.code}: ${next.stderr.split("\n")[0]}`);
    await checkConverged(fleet, reference, totals, `${where}, then apply`);
    rmSync(fleet.root, { recursive: true, force: true });
  }
}

/**
 * A converged fleet, then changed: one source edited (updates), one host removed
 * (removals), one host key rotated (updates), so kills land in update and remove too.
 */
async function changedFleet(root: string): Promise<Fleet> {
  const base = await makeFleet(root, { hosts: 26, sources: 14, generated: 4 });
  const r = await runRekey(root, ["apply", "--yes"]);
  expect(r.code, r.stderr).toBe(0);
  const edited = "edited-s1";
  writeFileSync(path.join(root, "secrets/s1.age"), await encrypt(new TextEncoder().encode(edited), [parseRecipient(readFileSync(path.join(root, "rekey.yaml"), "utf8").match(/age1[0-9a-z]+/)![0])]));
  unlinkSync(path.join(root, "hosts/host25.yaml"));
  const rotated = generateX25519Identity();
  const manifest = path.join(root, "hosts/host24.yaml");
  writeFileSync(manifest, readFileSync(manifest, "utf8").replace(/^pubkey: .*$/m, `pubkey: ${x25519RecipientOf(rotated)}`));
  const hosts = base.hosts.filter((h) => h.name !== "host25").map((h) => (h.name === "host24" ? { ...h, identities: parseIdentities(rotated, "host24") } : h));
  const plaintexts = new Map(base.plaintexts).set("s1", edited);
  const keys = new Map(base.keys).set("host24", [...base.keys.get("host24")!, ...parseIdentities(rotated, "host24")]);
  return { ...base, hosts, plaintexts, keys };
}

const tools = requireTool("ssh-keygen");

describe.runIf(tools)("crash safety: SIGKILL at random moments", () => {
  beforeAll(() => ensureBuilt());

  it(`apply and generate killed ${KILLS} times on each of 3 repositories leave every file whole, and converge`, async () => {
    const totals: Totals = { kills: 0, finished: 0, midWrite: 0, tempsSeen: 0, filesChecked: 0, planRuns: 0, failures: [] };
    const started = performance.now();
    // The three repositories run side by side: the kills land under load, as on a busy machine.
    const [fresh, ssh, changed] = await Promise.all([
      tempDir().then((d) => makeFleet(d, { hosts: 30, sources: 14, generated: 6 })),
      tempDir().then((d) => makeFleet(d, { hosts: 24, sources: 12, generated: 6, sshHosts: 8 })),
      tempDir().then((d) => changedFleet(d)),
    ]);
    await Promise.all([crashLoop("fresh", fresh, totals, KILLS), crashLoop("ssh", ssh, totals, KILLS), crashLoop("changed", changed, totals, KILLS)]);
    console.log(`crash harness: ${totals.kills} kills (${totals.finished} runs finished first, ${totals.midWrite} mid-write, ${totals.tempsSeen} left temp files), ${totals.filesChecked} files checked, ${totals.planRuns} plan runs, ${totals.failures.length} failures, ${Math.round((performance.now() - started) / 1000)} s`);
    const kinds = [...new Set(totals.failures.map((f) => f.replace(/^.*?: /, "").replace(/host\d+|\/tmp\/\S+|[a-z/]*\/?[sg]\d+(\.age)?/g, "*")))];
    expect({ kinds, first: totals.failures.slice(0, 5) }).toEqual({ kinds: [], first: [] });
    expect(totals.kills).toBeGreaterThanOrEqual(Math.min(50, KILLS * 3 - 10));
  }, 400_000);
});
