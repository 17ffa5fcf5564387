/**
 * A full garbage collection between the chunks of a large apply, on the main thread, and
 * every few thousand outputs in an encryption worker (see encrypt-worker.ts).
 *
 * V8 lets the old generation grow to a few times the live size before it collects it, and a
 * large apply turns over its per-chunk bookkeeping (paths, jobs, digests, records) every few
 * seconds: on 200,000 outputs the heap grew to ~300 MiB over a live set of ~76 MiB, and the
 * process's peak memory with it. One collection per chunk (2,560 outputs) costs a few
 * percent of the run and keeps memory at the live set. `--expose-gc` is set at run time, as
 * the flag cannot be given to a command users start themselves.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

let gc: (() => void) | undefined;

/** Collects garbage now. */
export function collectGarbage(): void {
  if (gc === undefined) {
    setFlagsFromString("--expose-gc");
    gc = runInNewContext("gc") as () => void;
  }
  gc();
}
