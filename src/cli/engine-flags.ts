/**
 * V8 settings for the CLI, set before any of its code runs (bin.ts imports this first).
 *
 * A full apply is CPU-bound on every core: each thread encrypts, and V8's background
 * compilers share the same cores. TurboFan inlines Node's own crypto and fs wrappers deeply
 * into the hot encryption loop, and it compiles that loop once per thread: on a 10,000-output
 * apply, its compile threads took ~0.48 s of CPU (perf), about 15% of the run. A smaller
 * cumulative inlining budget cut that to ~0.35 s for the same encryption speed. The flag only
 * tunes the optimizing compiler; V8 ignores it in a build that lacks it.
 */
import { setFlagsFromString } from "node:v8";

setFlagsFromString("--max-inlined-bytecode-size-cumulative=200");
