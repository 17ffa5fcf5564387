/** The process entry: runs {@link main} with the real process streams and sets the exit code. */
import { main } from "./main.js";

// Ctrl-C and SIGTERM end the run through process.exit, so 'exit' handlers (the repository
// lock, temp-file cleanup) run. The exit is deferred a tick so that a command's own signal
// handler (rekey edit removes its tmpfs file) runs first.
for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143], ["SIGHUP", 129]] as const) {
  process.on(signal, () => setImmediate(() => process.exit(code)));
}

process.exitCode = await main(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env });
