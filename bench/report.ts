/**
 * What the bench prints: the machine, the table of medians, and the ratios against targets.
 */
import { spawnSync } from "node:child_process";
import { availableParallelism, cpus, loadavg, release, totalmem, type } from "node:os";
import type { CpuTime, Launch } from "./cli.js";

/** One row of the table. */
export interface ScenarioResult {
  readonly label: string;
  readonly status: "ok" | "FAILED" | "n/a";
  /** Wall-clock milliseconds of each timed run. */
  readonly runsMs: readonly number[];
  /** Overrides the median column (e.g. a scaled baseline). */
  readonly valueMs?: number;
  readonly runsText?: string;
  readonly rssKiB?: number;
  /** CPU time (all threads) of the run through the RSS wrapper. */
  readonly cpu?: CpuTime;
  readonly notes: string;
  /** The counts of the last run's `apply --json` 'done' event. */
  readonly done?: { readonly decrypted: number; readonly written: number };
}

/** The median of a non-empty list. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** "123 ms" below a second, "4.56 s" above. */
export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** KiB as "123.4 MiB". */
export function formatMiB(kib: number): string {
  return `${(kib / 1024).toFixed(1)} MiB`;
}

/** The value a row stands for, or undefined when it has none. */
export function rowValue(r: ScenarioResult | undefined): number | undefined {
  if (r === undefined || r.status !== "ok") return undefined;
  if (r.valueMs !== undefined) return r.valueMs;
  return r.runsMs.length > 0 ? median(r.runsMs) : undefined;
}

/**
 * The markdown table: scenario | median | runs | CPU | peak RSS | notes. CPU is the user and
 * system time of every thread in the run through the RSS wrapper: above the median's wall time,
 * the run kept more than one core busy.
 */
export function renderTable(rows: readonly ScenarioResult[]): string {
  const lines = ["| scenario | median | runs | CPU (user + sys) | peak RSS | notes |", "|---|---:|---:|---:|---:|---|"];
  for (const r of rows) {
    const value = r.status === "ok" ? formatMs(rowValue(r) ?? 0) : r.status;
    const runs = r.runsText ?? String(r.runsMs.length);
    const cpu = r.cpu !== undefined ? `${formatMs(r.cpu.userMs + r.cpu.systemMs)} (${formatMs(r.cpu.userMs)} + ${formatMs(r.cpu.systemMs)})` : "—";
    const rss = r.rssKiB !== undefined ? formatMiB(r.rssKiB) : "—";
    lines.push(`| ${r.label} | ${value} | ${runs} | ${cpu} | ${rss} | ${r.notes.replaceAll("|", "\\|")} |`);
  }
  return lines.join("\n");
}

/** "PASS" or "MISS". */
export const verdict = (ok: boolean): string => (ok ? "PASS" : "MISS");

/** The machine, the runtime and the commit measured. */
export function machineInfo(repoRoot: string, ageVersion: string | undefined, launch: Launch): string {
  const cpu = cpus()[0]?.model.trim() ?? "unknown cpu";
  const commit = spawnSync("git", ["-C", repoRoot, "rev-parse", "--short", "HEAD"], { encoding: "utf8" });
  return [
    `machine: ${cpu}, ${availableParallelism()} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${type()} ${release()}`,
    `runtime: node ${process.version}; age ${ageVersion ?? "not installed"}; rekey at ${commit.status === 0 ? commit.stdout.trim() : "unknown commit"} (working tree as built in dist/); bin/rekey.js's "#!" line runs ${[...Object.entries(launch.env).map(([k, v]) => `${k}=${v}`), "node", ...launch.flags].join(" ")}`,
    nodeStartLine(),
    loadLine("at start"),
  ].join("\n");
}

/**
 * How long `node -e 0` takes here: every rekey command pays it, and the age CLI does not. When
 * NODE_EXTRA_CA_CERTS is set, Node parses that certificate bundle at every start, before any
 * script runs; rekey's "#!" line empties it for rekey's own process (it opens no TLS
 * connection), and the line gives the start both ways.
 */
function nodeStartLine(): string {
  const startMs = (env: NodeJS.ProcessEnv): number => {
    const runs: number[] = [];
    for (let i = 0; i < 7; i++) {
      const t = performance.now();
      spawnSync(process.execPath, ["-e", "0"], { env, stdio: "ignore" });
      runs.push(performance.now() - t);
    }
    return median(runs);
  };
  const asIs = `node start-up (\`node -e 0\`, median of 7): ${formatMs(startMs(process.env))}`;
  if (process.env.NODE_EXTRA_CA_CERTS === undefined || process.env.NODE_EXTRA_CA_CERTS === "") return asIs;
  const { NODE_EXTRA_CA_CERTS: _bundle, ...without } = process.env;
  return `${asIs} with NODE_EXTRA_CA_CERTS, which is set here (Node parses that bundle at every start), and ${formatMs(startMs(without))} without it, as rekey's "#!" line starts rekey`;
}

/** The load average, with a warning when other work competes for the cores. */
export function loadLine(when: string): string {
  const [one, five, fifteen] = loadavg().map((l) => l.toFixed(2));
  const busy = (loadavg()[0] ?? 0) > availableParallelism() / 2;
  return `load average ${when}: ${one} ${five} ${fifteen}${busy ? " (WARNING: the machine is busy with other work; medians are noisy)" : ""}`;
}
