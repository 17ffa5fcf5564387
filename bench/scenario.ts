/**
 * Times one CLI scenario: a warm-up run through the RSS wrapper (peak RSS, not timed into the
 * median), then N timed runs of `node bin/rekey.js`, each after its preparation and a sync. Every run is verified; the first one that
 * misbehaves turns the row into FAILED, with the reason on stderr.
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

/** Runs the warm-up and the timed runs of `s`. */
export async function timeScenario(s: ScenarioSpec): Promise<ScenarioResult> {
  const runsMs: number[] = [];
  let rssKiB: number | undefined;
  let cpu: CpuTime | undefined;
  let last: CliRun | undefined;
  for (let i = 0; i <= s.runs; i++) {
    await s.prepare?.(i);
    settleDisk(s.cwd);
    const run = await runCli({ cwd: s.cwd, args: s.args, timeoutMs: s.timeoutMs, ...(i === 0 ? { rssFile: join(s.scratch, "rss.txt") } : {}) });
    const v = run.timedOut || run.signal !== null ? { fail: "did not finish" } : await s.verify(run);
    if (v !== null && "na" in v) return { label: s.label, status: "n/a", runsMs: [], notes: v.na };
    if (v !== null) {
      progress(`FAILED ${s.label}, ${i === 0 ? "warm-up run" : `run ${i}`}:\n${describeFailure(run, v.fail)}`);
      return { label: s.label, status: "FAILED", runsMs, notes: v.fail };
    }
    if (i === 0) {
      rssKiB = run.maxRssKiB;
      cpu = run.cpu;
    } else runsMs.push(run.ms);
    last = run;
    progress(`${s.label}: ${i === 0 ? "warm-up" : `run ${i}/${s.runs}`} ${formatMs(run.ms)}`);
  }
  const done = last?.done !== undefined ? { done: { decrypted: last.done.decrypted, written: last.done.written } } : {};
  return { label: s.label, status: "ok", runsMs, ...(rssKiB !== undefined ? { rssKiB } : {}), ...(cpu !== undefined ? { cpu } : {}), ...done, notes: last !== undefined ? s.notes(last) : "" };
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
