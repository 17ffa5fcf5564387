/**
 * Waits, before the timed runs, until creating files on the bench's filesystem runs at its
 * normal speed.
 *
 * For about a minute after many files are deleted (the test suite, or an earlier bench,
 * deletes tens of thousands), ext4 skips their inodes when it allocates new ones, scanning
 * them one by one (recently_deleted() in fs/ext4/ialloc.c, seen with perf taking most of the
 * kernel time of an apply). A full apply creates 10,000 files, so it would measure that
 * scan rather than rekey. The probe creates 10,000 empty files in 200 folders, as the apply
 * does, and moves them aside (deleting them would restart the clock); the wait and the speed
 * it found are printed with the results.
 */
import { spawnSync } from "node:child_process";
import { closeSync, mkdirSync, openSync, renameSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";

// Laid out as a full apply's outputs: the kernel picks block groups per folder, and 1,000 files
// in one folder found a clean group while the apply's 200 folders still met deleted inodes.
const PROBE_DIRS = 200;
const PROBE_FILES_PER_DIR = 50;
/** Per-file creation time regarded as settled at once; a normal create of an empty file here takes 10 to 40 µs. */
const FAST_US = 20;
/** Above {@link FAST_US}, settled once no more than this and no longer getting faster. */
const SETTLED_US = 50;
/** A probe this much faster than the one before shows the filesystem still settling. */
const STILL_IMPROVING = 0.8;
const MAX_WAIT_MS = 180_000;
const RETRY_MS = 10_000;

/** What {@link settleFilesystem} found. */
export interface Settled {
  readonly perFileUs: number;
  readonly waitedMs: number;
  readonly settled: boolean;
}

function probe(dir: string, trash: string, n: number): number {
  const folder = join(dir, `probe-${n}`);
  mkdirSync(folder);
  const start = performance.now();
  for (let d = 0; d < PROBE_DIRS; d++) {
    const sub = join(folder, `d${d}`);
    mkdirSync(sub);
    for (let i = 0; i < PROBE_FILES_PER_DIR; i++) closeSync(openSync(join(sub, `f${i}`), "wx"));
  }
  const us = ((performance.now() - start) * 1000) / (PROBE_DIRS * PROBE_FILES_PER_DIR);
  renameSync(folder, join(trash, `probe-${n}`));
  return us;
}

/**
 * Writes back everything dirty on the workload's filesystem before a timed run, untimed: a
 * run's own syncs would otherwise also pay for the writeback of the previous runs (tens of
 * megabytes of outputs a few seconds old), which a user's run does not find.
 */
export function settleDisk(cwd: string): void {
  spawnSync("sync", ["-f", cwd], { stdio: "ignore" });
}

/**
 * Whether file creation has settled, from the probes so far (µs per file, oldest first): at
 * once if fast; else once below {@link SETTLED_US} and no faster than 80% of the probe before.
 * A single probe of 30 µs, taken minutes after a bench deleted 300,000 files, passed the
 * old "below 50 µs" test and slowed the full apply that followed by a fifth (1.99 s against
 * ~1.65 s, 1 s of system time); that filesystem creates a file in 13 to 18 µs once settled.
 */
export function isSettled(probes: readonly number[]): boolean {
  const last = probes.at(-1);
  if (last === undefined) return false;
  if (last <= FAST_US) return true;
  const before = probes.at(-2);
  return last <= SETTLED_US && before !== undefined && last >= STILL_IMPROVING * before;
}

/** Probes file creation in `dir` until it has settled (see {@link isSettled}), or for at most three minutes. */
export async function settleFilesystem(dir: string, trash: string, log: (message: string) => void): Promise<Settled> {
  mkdirSync(trash, { recursive: true });
  const start = performance.now();
  const probes: number[] = [];
  for (let n = 0; ; n++) {
    settleDisk(dir);
    const perFileUs = probe(dir, trash, n);
    probes.push(perFileUs);
    const waitedMs = performance.now() - start;
    const settled = isSettled(probes);
    if (settled || waitedMs >= MAX_WAIT_MS) return { perFileUs, waitedMs, settled };
    log(`file creation takes ${perFileUs.toFixed(0)} µs per file (recently deleted inodes?); waiting until it stops getting faster`);
    await sleep(RETRY_MS);
  }
}

/** The line for the report header. */
export function settledLine(s: Settled): string {
  const waited = s.waitedMs >= 1000 ? `, after waiting ${(s.waitedMs / 1000).toFixed(0)} s` : "";
  return s.settled
    ? `file creation before the runs: ${s.perFileUs.toFixed(0)} µs per file${waited}`
    : `file creation before the runs: ${s.perFileUs.toFixed(0)} µs per file after ${(s.waitedMs / 1000).toFixed(0)} s (WARNING: not settled; runs that create files are slowed by the kernel)`;
}
