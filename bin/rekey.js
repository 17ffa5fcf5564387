#!/usr/bin/env -S GLIBC_TUNABLES=glibc.malloc.mmap_threshold=131072 node --max-semi-space-size=4
// The installed entry point. The TypeScript sources are compiled to dist/ by `npm ci` (prepare).
//
// The "#!" line sets what only a process's start can set (the bench reads it, and runs the
// CLI the same way):
// - `--max-semi-space-size=4` caps the main thread's young generation at semi-spaces of
//   4 MiB, as the encryption workers' is (apply/workers.ts). V8 otherwise doubles it up to
//   16 MiB during a large apply: a full apply of 10,000 outputs peaked at ~126 MiB with the
//   default and ~100 MiB with the cap, in the same time.
// - A fixed `mmap_threshold` for glibc's malloc (ignored by other C libraries): glibc
//   otherwise raises it as buffers are freed, so that later large buffers come from the
//   arenas, which the threads of a long apply then fragment. On 200,000 outputs, memory grew
//   by ~16 MiB during the run with the default and ~7 MiB with this, in the same time.
//   It replaces a GLIBC_TUNABLES of the caller's.
import "../dist/src/cli/bin.js";
