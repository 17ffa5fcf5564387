/** The process entry: runs {@link main} with the real process streams and sets the exit code. */
// First: its settings must be in place before the rest of the code is compiled.
import "./engine-flags.js";
import { main } from "./main.js";

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

process.exitCode = await main(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env });
