/**
 * Starts the encryption workers of `rekey apply` as the process starts, before the rest of
 * the CLI is loaded (bin.ts imports this second, after the engine settings). A worker boots
 * in ~50 to 100 ms, then makes ephemeral keys until the main thread has read and planned the
 * repository (~0.3 s on a 10,000-output fleet): on a 2-core machine, work for the core that
 * would otherwise wait. A run too small for workers, or with nothing to do, stops them.
 * Other commands load nothing more than the command-line scan.
 */
import { asksForHelp, findCommandName } from "./argv.js";

const argv = process.argv.slice(2);
if (findCommandName(argv) === "apply" && !asksForHelp(argv)) {
  try {
    const { prestartWorkers } = await import("../apply/workers.js");
    prestartWorkers();
  } catch {
    // Only a head start: a worker that cannot start now is started, or its failure reported
    // with the command's error handling, when the pool is created.
  }
}
