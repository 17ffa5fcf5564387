/**
 * Runs the real CLI as a child process, with a timeout, and collects what the bench needs:
 * wall-clock time, exit code, the output tails, the `--json` 'done' event and, through
 * rss-wrapper.js, the peak RSS.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
/** The checkout whose CLI is measured: BENCH_REKEY_ROOT, or this one (dist/bench/ is two levels below it, bench/ one). */
export const REPO_ROOT = nonEmpty(process.env.BENCH_REKEY_ROOT) ?? (existsSync(join(HERE, "..", "package.json")) ? join(HERE, "..") : join(HERE, "..", ".."));
function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === "" ? undefined : s;
}
const BIN = join(REPO_ROOT, "bin", "rekey.js");
const WRAPPER = join(HERE, "rss-wrapper.js");
/** How bin/rekey.js's "#!" line starts Node, for every run (the wrapper's too): as users get it. */
export const LAUNCH = shebangLaunch(readFileSync(BIN, "utf8"));
const TAIL = 16 * 1024;

/** The 'done' event of `apply --json`. */
export interface DoneEvent {
  readonly summary: { generate: number; create: number; update: number; remove: number };
  readonly elapsed_ms: number;
  readonly decrypted: number;
  readonly written: number;
  readonly removed: number;
}

/** One finished CLI run. */
export interface CliRun {
  readonly args: readonly string[];
  readonly code: number | null;
  readonly signal: string | null;
  readonly timedOut: boolean;
  readonly ms: number;
  readonly stdoutTail: string;
  readonly stderrTail: string;
  readonly done: DoneEvent | undefined;
  /** Peak RSS in KiB, when run through the wrapper. */
  readonly maxRssKiB: number | undefined;
  /** CPU time of every thread, when run through the wrapper. */
  readonly cpu: CpuTime | undefined;
}

/** CPU milliseconds a run spent, all threads together. */
export interface CpuTime {
  readonly userMs: number;
  readonly systemMs: number;
}

/** Options of {@link runCli}. */
export interface RunCliOptions {
  readonly cwd: string;
  readonly args: readonly string[];
  readonly timeoutMs: number;
  /** Run through rss-wrapper.js and read the peak RSS back. */
  readonly rssFile?: string;
}

function keepTail(tail: Buffer, chunk: Buffer): Buffer {
  if (chunk.length >= TAIL) return Buffer.from(chunk.subarray(chunk.length - TAIL));
  const s = Buffer.concat([tail, chunk]);
  return s.length > TAIL ? s.subarray(s.length - TAIL) : s;
}

/** The 'done' event: the last line of `apply --json` that is one (none if the run died first). */
function doneEvent(stdout: string): DoneEvent | undefined {
  const lines = stdout.split("\n");
  for (let i = lines.length - 1; i >= 0; i--) if (lines[i]!.startsWith('{"type":"done"')) return JSON.parse(lines[i]!) as DoneEvent;
  return undefined;
}

const running = new Set<ChildProcess>();

/** Kills the CLI runs still going (the bench was interrupted). */
export function killRunning(): void {
  for (const child of running) child.kill("SIGKILL");
}

/** How a script's "#!" line starts Node: the environment it sets and Node's flags. */
export interface Launch {
  readonly env: Readonly<Record<string, string>>;
  readonly flags: readonly string[];
}

/**
 * How a script's "#!" line starts Node: `#!/usr/bin/env -S NAME=value node --flag ...` gives
 * `{ env: { NAME: "value" }, flags: ["--flag", ...] }`, with `${VAR}` in a value replaced by
 * VAR from `from` (empty if unset), as env(1) does; `#!/path/to/node --flag` gives the flags
 * alone. No "#!" line, or one that does not run node, gives neither.
 */
export function shebangLaunch(script: string, from: NodeJS.ProcessEnv = process.env): Launch {
  const none: Launch = { env: {}, flags: [] };
  if (!script.startsWith("#!")) return none;
  const end = script.indexOf("\n");
  const words = script.slice(2, end < 0 ? undefined : end).trim().split(/\s+/);
  const node = words.findIndex((w) => w === "node" || w.endsWith("/node"));
  if (node < 0) return none;
  const env: Record<string, string> = {};
  for (const w of words.slice(0, node)) {
    const eq = w.indexOf("=");
    if (eq > 0) env[w.slice(0, eq)] = w.slice(eq + 1).replace(/\$\{(\w+)\}/g, (_, name: string) => from[name] ?? "");
  }
  return { env, flags: words.slice(node + 1) };
}

/** Runs `node [LAUNCH flags] bin/rekey.js ARGS` (or the RSS wrapper) in `cwd`, with LAUNCH's environment; never rejects on a failing CLI. */
export function runCli(o: RunCliOptions): Promise<CliRun> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...LAUNCH.env, NO_COLOR: "1" };
  // The workload's rekey.yaml names the master identity; an operator's override must not win.
  delete env.REKEY_IDENTITY;
  const script = o.rssFile === undefined ? BIN : WRAPPER;
  if (o.rssFile !== undefined) {
    env.BENCH_RSS_FILE = o.rssFile;
    rmSync(o.rssFile, { force: true });
  }
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, [...LAUNCH.flags, script, ...o.args], { cwd: o.cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    running.add(child);
    // The measured run shares the machine's cores with this process: keep only the tails of
    // its output (as bytes, no decoding or line splitting of the thousands of events an
    // apply streams) and find the 'done' event, the last line of `apply --json`, at the end.
    let stdoutTail: Buffer = Buffer.alloc(0);
    let stderrTail: Buffer = Buffer.alloc(0);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, o.timeoutMs);
    child.stdout.on("data", (chunk: Buffer) => (stdoutTail = keepTail(stdoutTail, chunk)));
    child.stderr.on("data", (chunk: Buffer) => (stderrTail = keepTail(stderrTail, chunk)));
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      const ms = performance.now() - start;
      running.delete(child);
      clearTimeout(timer);
      const out = stdoutTail.toString("utf8");
      const { maxRssKiB, cpu } = o.rssFile !== undefined ? readUsage(o.rssFile) : { maxRssKiB: undefined, cpu: undefined };
      resolve({ args: o.args, code, signal, timedOut, ms, stdoutTail: out, stderrTail: stderrTail.toString("utf8"), done: doneEvent(out), maxRssKiB, cpu });
    });
  });
}

/** What the wrapper wrote: "maxRSS userµs systemµs"; nothing when the run died before it. */
function readUsage(file: string): { maxRssKiB: number | undefined; cpu: CpuTime | undefined } {
  let fields: number[];
  try {
    fields = readFileSync(file, "utf8").trim().split(" ").map(Number);
  } catch {
    return { maxRssKiB: undefined, cpu: undefined };
  }
  const [rss, user, system] = fields;
  return {
    maxRssKiB: rss,
    cpu: user !== undefined && system !== undefined ? { userMs: user / 1000, systemMs: system / 1000 } : undefined,
  };
}

/** A one-paragraph description of a run that went wrong, for the error output. */
export function describeFailure(run: CliRun, why: string): string {
  const status = run.timedOut ? "timed out (killed)" : run.signal !== null ? `killed by ${run.signal}` : `exit ${run.code}`;
  // Node's exit code 13: the event loop emptied while the top-level await was still pending.
  const hint13 = run.code === 13 ? "\n  hint: exit 13 = Node found no work left with main() unfinished (an unref'd worker, or a promise that never settles)" : "";
  const lastLines = (s: string) => s.trimEnd().split("\n").slice(-8).join("\n    ");
  return [
    `rekey ${run.args.join(" ")}: ${why} (${status}, ${Math.round(run.ms)} ms)${hint13}`,
    run.stderrTail.trim() !== "" ? `  stderr:\n    ${lastLines(run.stderrTail)}` : "",
    run.stdoutTail.trim() !== "" ? `  stdout (last lines):\n    ${lastLines(run.stdoutTail)}` : "",
  ]
    .filter((l) => l !== "")
    .join("\n");
}
