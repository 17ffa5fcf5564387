/**
 * The baseline: the `age` CLI spawned once per output, `parallelism` processes at a time (1 as
 * agenix-rekey's sequential rekey script runs it, or one per core as `xargs -P` would), on a
 * seeded sample of (host, source) pairs, scaled up to the workload's outputs. Plaintext goes in
 * on stdin and is never written to disk.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, statSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { seededRandom, type Workload } from "./workload.js";

/** What the baseline measured. */
export interface BaselineResult {
  readonly ageVersion: string;
  readonly sample: number;
  readonly parallelism: number;
  readonly sampleMs: number;
  /** sampleMs scaled to every output of the workload. */
  readonly scaledMs: number;
}

/** The installed age's version, or undefined when `age` is not on PATH. */
export function ageVersion(): string | undefined {
  const r = spawnSync("age", ["--version"], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

function encryptWithAge(recipient: string, plaintext: Uint8Array, out: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("age", ["-r", recipient, "-o", out], { stdio: ["pipe", "ignore", "pipe"], timeout: timeoutMs, killSignal: "SIGKILL" });
    let stderr = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (c: string) => (stderr += c));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      if (code === 0 && statSync(out).size > 0) resolve();
      else reject(new Error(`age -r ${recipient.slice(0, 24)}... -o ${out} failed (${signal ?? `exit ${code}`}): ${stderr.trim()}`));
    });
    child.stdin.end(plaintext);
  });
}

let movedAside = 0;

/**
 * Encrypts `sample` random outputs with one `age` process each, `parallelism` at a time, in
 * `dir`, which is then moved aside (renamed), not deleted: for ~30 s after files are deleted,
 * creating files on ext4 is slower (`recently_deleted()`), and the next run measured, often
 * the full apply, would pay for these deletions (1.84 to 1.89 s against 1.57 s without them).
 * The bench's temp folder goes, with all that was moved aside, at its end.
 */
export async function measureAgeBaseline(w: Workload, dir: string, sample: number, parallelism: number): Promise<BaselineResult> {
  const version = ageVersion();
  if (version === undefined) throw new Error("`age` is not on PATH (install age to measure the baseline)");
  const random = seededRandom(w.spec.seed + 1);
  const pairs = Array.from({ length: sample }, () => {
    const host = w.hosts[Math.floor(random() * w.hosts.length)]!;
    const secret = host.secrets[Math.floor(random() * host.secrets.length)]!;
    // age -r takes "ssh-ed25519 AAAA..." without the comment.
    return { recipient: host.pubkey.split(" ").slice(0, 2).join(" "), plaintext: w.plaintexts.get(secret)! };
  });
  mkdirSync(dir, { recursive: true });
  try {
    await encryptWithAge(pairs[0]!.recipient, pairs[0]!.plaintext, join(dir, "warmup.age"), 30_000);
    let next = 0;
    const worker = async () => {
      while (next < pairs.length) {
        const i = next++;
        await encryptWithAge(pairs[i]!.recipient, pairs[i]!.plaintext, join(dir, `${i}.age`), 30_000);
      }
    };
    const start = performance.now();
    await Promise.all(Array.from({ length: parallelism }, worker));
    const sampleMs = performance.now() - start;
    return { ageVersion: version, sample, parallelism, sampleMs, scaledMs: (sampleMs * w.outputs) / sample };
  } finally {
    if (existsSync(dir)) renameSync(dir, `${dir}.done-${movedAside++}`);
  }
}
