/**
 * Waiting for a slow reader. process.stdout on a pipe queues in memory what its reader has not
 * taken yet: a large run's output (W2's 20 MiB `--json` plan, then 36 MB of events), written
 * faster than `jq` or the bench read it, was held in the process (W2's peak 137 MiB piped to a
 * Node reader against 115 MiB to /dev/null).
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
