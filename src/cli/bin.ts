/** The process entry: runs {@link main} with the real process streams and sets the exit code. */
import { main } from "./main.js";

process.exitCode = await main(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env });
