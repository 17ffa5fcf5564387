/**
 * Runs the CLI's `main` exactly as bin.js does, then records the peak RSS (KiB) and the CPU time
 * (user and system, µs), worker threads included, in the file named by BENCH_RSS_FILE. Recording on 'exit' rather than right after
 * `main` returns keeps whatever the CLI still does before the process ends in the measurement.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type * as CliMain from "../src/cli/main.js";

// BENCH_REKEY_ROOT measures another checkout's build (A/B runs); the default is this one.
const other = process.env.BENCH_REKEY_ROOT;
const { main } = (other !== undefined && other !== "" ? await import(pathToFileURL(join(other, "dist", "src", "cli", "main.js")).href) : await import("../src/cli/main.js")) as typeof CliMain;

const rssFile = process.env.BENCH_RSS_FILE;
process.on("exit", () => {
  if (rssFile === undefined || rssFile === "") return;
  const usage = process.resourceUsage();
  writeFileSync(rssFile, `${usage.maxRSS} ${usage.userCPUTime} ${usage.systemCPUTime}\n`);
});
process.exitCode = await main(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env });
