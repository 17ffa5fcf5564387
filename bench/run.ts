/**
 * `npm run bench` (issue 6): builds workloads in a temp folder, times the real CLI on them,
 * and prints a table of medians with the age-CLI baseline and the X25519 floor measured in
 * the same run. Not a test: it is never part of `npm test`.
 *
 * Knobs: BENCH_RUNS=N or BENCH_RUNS=full=3,plan=5 (run counts); BENCH_SCENARIOS=plan,shared
 * (a subset of SCENARIO_IDS); BENCH_W2=1 (add the 200,000-output workload W2, and its half for the memory at a second size); BENCH_KEEP=1
 * (keep the temp folder); BENCH_TIMEOUT_S (per CLI run; default 600, W2 3600);
 * BENCH_REKEY_ROOT (measure another built checkout, e.g. for an A/B comparison).
 */
import { spawnSync } from "node:child_process";
import { availableParallelism, tmpdir } from "node:os";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { measureAgeBaseline, ageVersion, type BaselineResult } from "./baseline.js";
import { LAUNCH, REPO_ROOT, describeFailure, killRunning, runCli } from "./cli.js";
import { floorOperations, runX25519Floor, type FloorCounts } from "./floor.js";
import { formatMs, loadLine, machineInfo, median, renderTable, type ScenarioResult } from "./report.js";
import { expectDone, interleave, isUnknownCommand, progress, scenarioStepper, timeScenario, type Stepper } from "./scenario.js";
import { settleDisk, settleFilesystem, settledLine } from "./settle.js";
import { renderTargets } from "./targets.js";
import { changeSource, createWorkload, rotateHostKey, W1, W1_WIDE, W2, W2_HALF, type Workload, type WorkloadSpec } from "./workload.js";

const SCENARIO_IDS = ["full", "plan", "check", "demo-check", "shared", "rotate", "baseline", "floor"] as const;
type ScenarioId = (typeof SCENARIO_IDS)[number];
const DEFAULT_RUNS: Record<ScenarioId, number> = { full: 5, plan: 5, check: 5, "demo-check": 5, shared: 5, rotate: 5, baseline: 5, floor: 5 };
const BASELINE_SAMPLE = 300;
const PLAN_EMPTY = "Plan: 0 to generate, 0 to create, 0 to update, 0 to remove.";

function readKnobs() {
  const env = process.env;
  const picked = (env.BENCH_SCENARIOS ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "");
  const unknown = picked.filter((s) => !(SCENARIO_IDS as readonly string[]).includes(s));
  if (unknown.length > 0) throw new Error(`BENCH_SCENARIOS: unknown scenario ${unknown.join(", ")}; choose from ${SCENARIO_IDS.join(", ")}`);
  const runs = { ...DEFAULT_RUNS };
  for (const part of (env.BENCH_RUNS ?? "").split(",").filter((s) => s.trim() !== "")) {
    const [k, v] = part.includes("=") ? part.split("=") : [undefined, part];
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`BENCH_RUNS: "${part}" is not a positive run count (e.g. BENCH_RUNS=3 or BENCH_RUNS=full=1,plan=3)`);
    if (k === undefined) for (const id of SCENARIO_IDS) runs[id] = n;
    else if ((SCENARIO_IDS as readonly string[]).includes(k.trim())) runs[k.trim() as ScenarioId] = n;
    else throw new Error(`BENCH_RUNS: unknown scenario "${k}"; choose from ${SCENARIO_IDS.join(", ")}`);
  }
  const timeoutS = Number(env.BENCH_TIMEOUT_S ?? "600");
  return {
    selected: (id: ScenarioId) => picked.length === 0 || picked.includes(id),
    runs,
    w2: env.BENCH_W2 === "1",
    keep: env.BENCH_KEEP === "1",
    timeoutMs: (Number.isFinite(timeoutS) && timeoutS > 0 ? timeoutS : 600) * 1000,
  };
}

function gitInit(dir: string): void {
  // A secrets repository is a git repository; `check` may look at it.
  spawnSync("git", ["init", "-q"], { cwd: dir, stdio: "ignore" });
}

let trashed = 0;

/** Renames `dir` (if it exists) into `trash`, where the bench's final clean-up deletes it. */
function moveAside(dir: string, trash: string): void {
  mkdirSync(trash, { recursive: true });
  try {
    renameSync(dir, join(trash, `${trashed++}`));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
}

function countOutputs(root: string): number {
  const dir = join(root, "secrets", "rekeyed");
  try {
    return readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".age")).length;
  } catch {
    return 0;
  }
}

function floorCounts(w: Workload): FloorCounts {
  const count = (kind: string) => w.hosts.filter((h) => h.kind === kind).reduce((n, h) => n + h.secrets.length, 0);
  return { x25519Outputs: count("x25519"), sshOutputs: count("ssh-ed25519"), decryptions: w.sourceNames.length };
}

async function applyOnce(cwd: string, timeoutMs: number, what: string): Promise<boolean> {
  const run = await runCli({ cwd, args: ["apply", "--yes", "--json"], timeoutMs });
  if (run.code === 0) return true;
  progress(`set-up failed:\n${describeFailure(run, `the set-up apply of ${what} failed`)}`);
  return false;
}

async function benchW1(tmp: string, k: ReturnType<typeof readKnobs>): Promise<{ rows: Map<string, ScenarioResult>; w: Workload }> {
  const rows = new Map<string, ScenarioResult>();
  progress("generating W1: 200 hosts, 100 sources, 10,000 outputs");
  const w = await createWorkload(join(tmp, "w1"), W1);
  gitInit(w.root);
  const scratch = join(tmp, "scratch");
  mkdirSync(scratch, { recursive: true });
  const base = { cwd: w.root, scratch, timeoutMs: k.timeoutMs };
  const out = (n: number) => n.toLocaleString("en-US");

  // The full apply, the baseline and the floor take turns, run by run (see interleave()); the
  // other scenarios only report their own times.
  const paced = new Map<string, Stepper>();
  if (k.selected("full")) {
    paced.set("full", scenarioStepper({
      ...base,
      label: `1. full apply from empty (${out(w.outputs)} outputs)`,
      args: ["apply", "--yes", "--json"],
      runs: k.runs.full,
      // Moved aside, not deleted: for a while after 10,000 files are deleted, ext4 skips their
      // inodes when it allocates new ones (recently_deleted(), seen with perf), which made
      // creating the next 10,000 files several times slower. The bench folder goes at the end.
      prepare: () => moveAside(join(w.root, "secrets", "rekeyed"), join(tmp, "trash")),
      verify: (run) => {
        const v = expectDone(run, { written: w.outputs, decrypted: w.sourceNames.length });
        const files = countOutputs(w.root);
        return v ?? (files === w.outputs ? null : { fail: `${files} output files on disk, want ${w.outputs}` });
      },
      notes: (run) => `written ${run.done?.written}, decrypted ${run.done?.decrypted}; engine's own elapsed ${run.done?.elapsed_ms} ms; outputs of the previous run moved aside, not deleted`,
    }));
  }
  if (k.selected("baseline")) {
    paced.set("baseline", baselineStepper(w, join(tmp, "baseline"), k.runs.baseline, 1));
    paced.set("baseline-parallel", baselineStepper(w, join(tmp, "baseline"), k.runs.baseline, availableParallelism()));
  }
  if (k.selected("floor")) {
    paced.set("floor", floorStepper(w, k.runs.floor, 3));
    paced.set("floor-own", floorStepper(w, k.runs.floor, 2));
  }
  // The full apply's warm-up (through the RSS wrapper) first, so that each round pairs timed runs.
  const full = paced.get("full");
  const fullGoesOn = full !== undefined && (await full.step());
  await interleave([...paced].filter(([id]) => id !== "full" || fullGoesOn).map(([, stepper]) => stepper));
  if (full !== undefined) rows.set("full", full.result());
  if (rows.get("full")?.status !== "ok" && countOutputs(w.root) !== w.outputs) await applyOnce(w.root, k.timeoutMs, "W1");

  if (k.selected("plan")) {
    rows.set("plan", await timeScenario({
      ...base,
      label: "2. no-op plan",
      args: ["plan"],
      runs: k.runs.plan,
      verify: (run) => (run.code === 0 && run.stdoutTail.includes(PLAN_EMPTY) ? null : { fail: `want exit 0 and "${PLAN_EMPTY}"` }),
      notes: () => `exit 0, "${PLAN_EMPTY}"`,
    }));
  }
  if (k.selected("check")) {
    rows.set("check", await timeScenario({
      ...base,
      label: "3. no-op check (W1)",
      args: ["check"],
      runs: k.runs.check,
      verify: (run) => (isUnknownCommand(run) ? { na: "n/a (no check command)" } : run.code === 0 ? null : { fail: `exit code ${run.code}, want 0` }),
      notes: () => "exit 0",
    }));
  }
  if (k.selected("demo-check")) rows.set("demo-check", await benchDemoCheck(tmp, scratch, k));
  if (k.selected("shared")) {
    const shared = w.sourceNames[0]!;
    const receivers = w.hosts.filter((h) => h.secrets.includes(shared)).length;
    rows.set("shared", await timeScenario({
      ...base,
      label: `4. incremental: one shared source changed (${receivers} outputs)`,
      args: ["apply", "--yes", "--json"],
      runs: k.runs.shared,
      prepare: () => changeSource(w, shared),
      verify: (run) => expectDone(run, { written: receivers, decrypted: 1 }),
      notes: (run) => `${shared} re-encrypted before each run; written ${run.done?.written}, decrypted ${run.done?.decrypted}`,
    }));
  }
  if (k.selected("rotate")) {
    const host = w.hosts.find((h) => h.kind === "ssh-ed25519")!;
    rows.set("rotate", await timeScenario({
      ...base,
      label: `5. incremental: one host key rotated (${host.secrets.length} outputs)`,
      args: ["apply", "--yes", "--json"],
      runs: k.runs.rotate,
      prepare: () => rotateHostKey(w, host),
      verify: (run) => expectDone(run, { written: host.secrets.length, decrypted: host.secrets.length }),
      notes: (run) => `${host.name} given a new ssh-ed25519 key before each run; written ${run.done?.written}, decrypted ${run.done?.decrypted}`,
    }));
  }
  for (const id of ["baseline", "baseline-parallel", "floor", "floor-own"]) if (paced.has(id)) rows.set(id, paced.get(id)!.result());
  return { rows, w };
}

async function benchDemoCheck(tmp: string, scratch: string, k: ReturnType<typeof readKnobs>): Promise<ScenarioResult> {
  const label = "3b. no-op check (shipped demo)";
  const demo = join(tmp, "demo");
  for (const entry of ["rekey.yaml", "hosts", "secrets", "generators", "demo"]) cpSync(join(REPO_ROOT, entry), join(demo, entry), { recursive: true });
  gitInit(demo);
  progress("applying the demo repository once");
  if (!(await applyOnce(demo, k.timeoutMs, "the demo repository"))) return { label, status: "FAILED", runsMs: [], notes: "the set-up apply failed" };
  return await timeScenario({
    label,
    cwd: demo,
    scratch,
    timeoutMs: k.timeoutMs,
    args: ["check"],
    runs: k.runs["demo-check"],
    verify: (run) => (isUnknownCommand(run) ? { na: "n/a (no check command)" } : run.code === 0 ? null : { fail: `exit code ${run.code}, want 0` }),
    notes: () => "exit 0, after one `apply --yes` of the copied demo",
  });
}

/**
 * The baseline at `parallelism` processes at a time. One at a time is what agenix-rekey's
 * generated rekey script does (a `rage -d | rage -e` pipeline per secret and host, in a
 * sequential shell loop), and it is the one the target is taken against; the same sample at
 * one process per core is shown beside it.
 */
function baselineStepper(w: Workload, dir: string, runs: number, parallelism: number): Stepper {
  const label = parallelism === 1 ? "baseline: age CLI, one process per output, one at a time" : `baseline, for information: the same, ${parallelism} at a time`;
  const results: BaselineResult[] = [];
  let failed: ScenarioResult | undefined;
  return {
    async step() {
      if (failed !== undefined || results.length >= runs) return false;
      try {
        results.push(await measureAgeBaseline(w, dir, BASELINE_SAMPLE, parallelism));
      } catch (e) {
        progress(`FAILED ${label}: ${(e as Error).message}`);
        failed = { label, status: ageVersion() === undefined ? "n/a" : "FAILED", runsMs: [], notes: (e as Error).message };
        return false;
      }
      progress(`${label}: run ${results.length}/${runs} ${formatMs(results.at(-1)!.sampleMs)} for ${BASELINE_SAMPLE} outputs`);
      return results.length < runs;
    },
    result() {
      if (failed !== undefined) return failed;
      const how = parallelism === 1 ? "sequentially, as agenix-rekey's rekey script does" : `at -P ${parallelism}`;
      return {
        label,
        status: "ok",
        runsMs: results.map((r) => r.sampleMs),
        valueMs: median(results.map((r) => r.scaledMs)),
        runsText: `${results.length} × ${BASELINE_SAMPLE}`,
        notes: `${BASELINE_SAMPLE} random (host, source) pairs, \`age -r\` per pair ${how}, scaled ×${(w.outputs / BASELINE_SAMPLE).toFixed(1)} to ${w.outputs.toLocaleString("en-US")}; agenix-rekey also spawns a decrypt per pair (not added)`,
      };
    },
  };
}

/**
 * The floor as the issue counts it (3 multiplications per ssh-ed25519 output), or, for
 * information, the multiplications rekey performs (2: it computes tweak·pk once per host).
 */
function floorStepper(w: Workload, runs: number, perSsh: 2 | 3): Stepper {
  const counts = floorCounts(w);
  const ops = floorOperations(counts, perSsh);
  const runsMs: number[] = [];
  const name = perSsh === 3 ? "floor" : "floor, for information";
  return {
    step() {
      if (runsMs.length >= runs) return Promise.resolve(false);
      runsMs.push(runX25519Floor(counts, perSsh));
      progress(`${name}: run ${runsMs.length}/${runs} ${formatMs(runsMs.at(-1)!)}`);
      return Promise.resolve(runsMs.length < runs);
    },
    result() {
      const what = perSsh === 3 ? "" : "the multiplications rekey performs: ";
      return {
        label: `${name}: ${ops.toLocaleString("en-US")} X25519 operations`,
        status: "ok",
        runsMs,
        notes: `${what}2 × ${counts.x25519Outputs} X25519 + ${perSsh} × ${counts.sshOutputs} ssh-ed25519 outputs + ${counts.decryptions} master decryptions; node:crypto diffieHellman only, one core, every key imported before the clock starts`,
      };
    },
  };
}

/**
 * One full apply of a large fleet (W2, or its half, 1,000 hosts × 100 sources, or W1's outputs
 * over W2's hosts), through the RSS wrapper: the time per output, and the peak memory at
 * several fleet sizes.
 */
async function benchFleet(tmp: string, k: ReturnType<typeof readKnobs>, spec: WorkloadSpec, name: string, dir = name): Promise<ScenarioResult> {
  const outputs = spec.hosts * spec.perHost;
  progress(`generating ${name}: ${spec.hosts.toLocaleString("en-US")} hosts × ${spec.perHost} sources, ${outputs.toLocaleString("en-US")} outputs`);
  const w = await createWorkload(join(tmp, dir), spec);
  gitInit(w.root);
  const label = `${name}: full apply from empty (${w.outputs.toLocaleString("en-US")} outputs)`;
  const timeoutMs = Number(process.env.BENCH_TIMEOUT_S ?? "0") > 0 ? k.timeoutMs : 3_600_000;
  settleDisk(w.root);
  const run = await runCli({ cwd: w.root, args: ["apply", "--yes", "--json"], timeoutMs, rssFile: join(tmp, `${dir}-rss.txt`) });
  const received = new Set(w.hosts.flatMap((h) => h.secrets)).size;
  const v = run.timedOut ? { fail: "did not finish" } : expectDone(run, { written: w.outputs, decrypted: received });
  // Kept until the bench's temp folder goes at the end: deleting W2/2's 100,000 outputs here made
  // the W2 run after it create its files through ext4's recently_deleted() scans (28.6 s of
  // system time, against ~13 s).
  if (v !== null && "fail" in v) {
    progress(`FAILED ${label}:\n${describeFailure(run, v.fail)}`);
    return { label, status: "FAILED", runsMs: [], notes: v.fail };
  }
  progress(`${label}: ${formatMs(run.ms)}`);
  return {
    label,
    status: "ok",
    runsMs: [run.ms],
    ...(run.maxRssKiB !== undefined ? { rssKiB: run.maxRssKiB } : {}),
    ...(run.cpu !== undefined ? { cpu: run.cpu } : {}),
    ...(run.done !== undefined ? { done: { decrypted: run.done.decrypted, written: run.done.written } } : {}),
    notes: `one run, through the RSS wrapper; written ${run.done?.written}, decrypted ${run.done?.decrypted}`,
  };
}

async function main(): Promise<number> {
  const started = performance.now();
  const k = readKnobs();
  const tmp = mkdtempSync(join(tmpdir(), "rekey-bench-"));
  const cleanup = () => (k.keep ? progress(`kept ${tmp} (BENCH_KEEP=1)`) : rmSync(tmp, { recursive: true, force: true }));
  for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143], ["SIGHUP", 129]] as const) {
    process.once(signal, () => {
      killRunning();
      cleanup();
      process.exit(code);
    });
  }
  try {
    process.stdout.write(`# rekey bench\n\n${machineInfo(REPO_ROOT, ageVersion(), LAUNCH)}\n`);
    const settled = await settleFilesystem(tmp, join(tmp, "trash"), progress);
    process.stdout.write(`${settledLine(settled)}\n\n`);
    const { rows, w } = await benchW1(tmp, k);
    if (k.w2) {
      rows.set("w2-half", await benchFleet(tmp, k, W2_HALF, "W2/2"));
      rows.set("w2", await benchFleet(tmp, k, W2, "W2"));
      rows.set("w1-wide", await benchFleet(tmp, k, W1_WIDE, `W1 over ${W1_WIDE.hosts.toLocaleString("en-US")} hosts (${W1_WIDE.perHost} sources each)`, "W1-wide"));
    }
    process.stdout.write(`${renderTable([...rows.values()])}\n\n${renderTargets(rows, w.outputs, w.hosts.length)}\n`);
    process.stdout.write(`\n${loadLine("at end")}\nbench finished in ${formatMs(performance.now() - started)}\n`);
    return [...rows.values()].some((r) => r.status === "FAILED") ? 1 : 0;
  } finally {
    cleanup();
  }
}

try {
  process.exitCode = await main();
} catch (e) {
  process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
}
