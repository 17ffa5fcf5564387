/**
 * Times one CLI scenario: a warm-up run through the RSS wrapper (peak RSS, not timed into the
 * median), then N timed runs of `node bin/rekey.js`, each after its preparation and a sync.
 * Every run is verified; the first one that misbehaves turns the row into FAILED, with the
 * reason on stderr.
 */
import { join } from "node:path";
import { describeFailure, runCli, type CliRun, type CpuTime } from "./cli.js";
import { formatMs, type ScenarioResult } from "./report.js";
import { settleDisk } from "./settle.js";

/** The verdict on one run: null when it did what it should. */
export type Verdict = null | { readonly fail: string } | { readonly na: string };

/** A scenario to time. */
export interface ScenarioSpec {
  readonly label: string;
  readonly cwd: string;
  readonly args: readonly string[];
  readonly runs: number;
  readonly timeoutMs: number;
  /** Where the wrapper writes the peak RSS. */
  readonly scratch: string;
  /** Untimed preparation before run `i` (0 is the warm-up). */
  readonly prepare?: (i: number) => Promise<void> | void;
  readonly verify: (run: CliRun) => Verdict | Promise<Verdict>;
  /** The notes column, from the last run. */
  readonly notes: (run: CliRun) => string;
}

/** Logs progress to stderr, so stdout carries only the report. */
export function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/**
 * One row measured a run at a time, so that rows can take turns: the full apply, the baseline
 * and the floor alternate run by run, and a ratio between them compares runs made under the
 * same conditions (this VM's speed drifts by a third within minutes).
 */
export interface Stepper {
  /** Makes the next run; false once every run is made or a run failed. */
  step(): Promise<boolean>;
  result(): ScenarioResult;
}

/** Steps every stepper in turn, one run each per round, until all are done. */
export async function interleave(steppers: readonly Stepper[]): Promise<void> {
  let active = [...steppers];
  while (active.length > 0) {
    const still: Stepper[] = [];
    for (const s of active) if (await s.step()) still.push(s);
    active = still;
  }
}

/** A CLI scenario as a {@link Stepper}: its first step is the warm-up through the RSS wrapper. */
export function scenarioStepper(s: ScenarioSpec): Stepper {
  const runsMs: number[] = [];
  let rssKiB: number | undefined;
  let cpu: CpuTime | undefined;
  let last: CliRun | undefined;
  let outcome: ScenarioResult | undefined;
  let i = 0;
  const ended = (r: ScenarioResult) => {
    outcome = r;
    return false;
  };
  return {
    async step() {
      if (outcome !== undefined || i > s.runs) return false;
      await s.prepare?.(i);
      settleDisk(s.cwd);
      const run = await runCli({ cwd: s.cwd, args: s.args, timeoutMs: s.timeoutMs, ...(i === 0 ? { rssFile: join(s.scratch, "rss.txt") } : {}) });
      const v = run.timedOut || run.signal !== null ? { fail: "did not finish" } : await s.verify(run);
      if (v !== null && "na" in v) return ended({ label: s.label, status: "n/a", runsMs: [], notes: v.na });
      if (v !== null) {
        progress(`FAILED ${s.label}, ${i === 0 ? "warm-up run" : `run ${i}`}:\n${describeFailure(run, v.fail)}`);
        return ended({ label: s.label, status: "FAILED", runsMs, notes: v.fail });
      }
      if (i === 0) {
        rssKiB = run.maxRssKiB;
        cpu = run.cpu;
      } else runsMs.push(run.ms);
      last = run;
      progress(`${s.label}: ${i === 0 ? "warm-up" : `run ${i}/${s.runs}`} ${formatMs(run.ms)}`);
      i++;
      return i <= s.runs;
    },
    result() {
      if (outcome !== undefined) return outcome;
      const done = last?.done !== undefined ? { done: { decrypted: last.done.decrypted, written: last.done.written } } : {};
      return { label: s.label, status: "ok", runsMs, ...(rssKiB !== undefined ? { rssKiB } : {}), ...(cpu !== undefined ? { cpu } : {}), ...done, notes: last !== undefined ? s.notes(last) : "" };
    },
  };
}

/** Runs the warm-up and the timed runs of `s`. */
export async function timeScenario(s: ScenarioSpec): Promise<ScenarioResult> {
  const stepper = scenarioStepper(s);
  await interleave([stepper]);
  return stepper.result();
}

/** Checks the 'done' event of `apply --json` against expected counts. */
export function expectDone(run: CliRun, want: { written: number; decrypted: number }): Verdict {
  if (run.code !== 0) return { fail: `exit code ${run.code}` };
  const d = run.done;
  if (d === undefined) return { fail: "no 'done' event in the --json output" };
  if (d.written !== want.written || d.decrypted !== want.decrypted) {
    return { fail: `wrote ${d.written} (want ${want.written}), decrypted ${d.decrypted} (want ${want.decrypted})` };
  }
  return null;
}

/** True when the CLI has no such command (the build predates it). */
export function isUnknownCommand(run: CliRun): boolean {
  return run.code === 64 && run.stderrTail.includes("unknown command");
}
