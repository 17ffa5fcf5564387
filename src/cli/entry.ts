/**
 * The process around {@link main}: signals, closed pipes, and the exit. Shared by bin.ts and
 * the bench's RSS wrapper, so that the bench measures the CLI exactly as users run it.
 */
import { main } from "./main.js";

/** Runs the command line of this process, then exits with its code. */
export async function runProcess(): Promise<never> {
  // Ctrl-C and SIGTERM end the run through process.exit, so 'exit' handlers (the repository
  // lock, temp-file cleanup) run. The exit is deferred a tick so that a command's own signal
  // handler (rekey edit removes its tmpfs file) runs first.
  for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143], ["SIGHUP", 129]] as const) {
    process.on(signal, () => setImmediate(() => process.exit(code)));
  }

  // A reader that goes away (`rekey plan | head`) is not an error of the command: the rest of
  // its output is dropped and it runs to the end, so an apply is never cut short by its reader
  // and the exit code is the command's own. Node reports the closed pipe as EPIPE on the
  // stream, then ERR_STREAM_DESTROYED for each later write.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code !== "EPIPE" && e.code !== "ERR_STREAM_DESTROYED") throw e;
    });
  }

  const code = await main(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env });

  // The command is done and has awaited all of its work: exit once its output is out. An
  // explicit exit skips tearing down the heaps and threads, ~10-20 ms of every run, and still
  // runs the 'exit' handlers (the repository lock, temp-file cleanup).
  await Promise.all([process.stdout, process.stderr].map(flushed));
  process.exit(code);
}

/** Resolves once `stream` holds no unwritten output (writes to a pipe are asynchronous on some systems). */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  if (stream.writableLength === 0 || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    for (const event of ["drain", "close", "error"]) stream.once(event, () => resolve());
  });
}
