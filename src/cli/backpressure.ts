/**
 * Waiting for a slow reader. process.stdout on a pipe is asynchronous here: it queues in
 * memory what its reader has not taken yet. W2's 20 MiB `--json` plan, written to `jq` or the
 * bench's reader faster than they read it, was held whole (the apply's peak: 190 MiB against
 * 158 MiB to /dev/null, before the plan's writer waited); the run's events (36 MB for W2) can
 * queue the same way behind a reader slower than the run.
 */
import type { Writable } from "node:stream";

/** What may wait in a stream before its writer waits: W1's whole plan (~1 MiB) never does. */
export const QUEUED_LIMIT = 4 * 1024 * 1024;

/**
 * Undefined while fewer than `queued` bytes wait in `out`; else a promise of the stream's next
 * 'drain'. Never a wait on a stream that failed or closed (a reader that went away: see
 * entry.ts), which would never drain.
 */
export function whenDrained(out: Writable, queued = QUEUED_LIMIT): Promise<void> | undefined {
  if (out.writableLength < queued || out.destroyed || out.writableEnded) return undefined;
  return new Promise((resolve) => {
    const done = () => {
      for (const event of ["drain", "error", "close"]) out.off(event, done);
      resolve();
    };
    for (const event of ["drain", "error", "close"]) out.on(event, done);
  });
}
