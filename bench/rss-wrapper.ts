/**
 * Runs the CLI exactly as bin.js does (by importing it), and records the peak RSS (KiB) and the
 * CPU time (user and system, µs), worker threads included, in the file named by
 * BENCH_RSS_FILE. Recording on 'exit' keeps whatever the CLI still does before the process
 * ends in the measurement; the CLI ends with process.exit, which runs 'exit' listeners.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const rssFile = process.env.BENCH_RSS_FILE;
process.on("exit", () => {
  if (rssFile === undefined || rssFile === "") return;
  const usage = process.resourceUsage();
  writeFileSync(rssFile, `${usage.maxRSS} ${usage.userCPUTime} ${usage.systemCPUTime}\n`);
});

// BENCH_REKEY_ROOT measures another checkout's build (A/B runs); the default is this one.
const other = process.env.BENCH_REKEY_ROOT;
if (other !== undefined && other !== "") await import(pathToFileURL(join(other, "dist", "src", "cli", "bin.js")).href);
else await import("../src/cli/bin.js");
