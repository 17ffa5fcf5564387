#!/usr/bin/env -S NODE_EXTRA_CA_CERTS= RK_CA=${NODE_EXTRA_CA_CERTS} MALLOC_MMAP_THRESHOLD_=131072 node --max-semi-space-size=2
// The installed entry point. The TypeScript sources are compiled to dist/ by `npm ci` (prepare).
//
// The "#!" line (126 characters: kernels before Linux 5.1 read 127) sets what only a
// process's start can set. The bench reads it and runs the CLI the same way.
// - NODE_EXTRA_CA_CERTS is emptied: Node parses that bundle as it starts (~50 ms for a
//   system bundle of 144 certificates), and rekey opens no TLS connection. The caller's
//   value goes in RK_CA, and src/cli/launch-env.ts puts it back for the processes rekey
//   starts.
// - MALLOC_MMAP_THRESHOLD_ fixes glibc malloc's mmap threshold (other C libraries ignore it).
//   glibc otherwise raises the threshold as large buffers are freed, so that later ones come
//   from the arenas, which the threads of a long apply then fragment. On 200,000 outputs,
//   memory grew by ~16 MiB during the run with the default and ~7 MiB with this, in the same
//   time. The processes rekey starts get glibc's default.
// - `--max-semi-space-size=2` caps the main thread's young generation at semi-spaces of
//   2 MiB, as the encryption workers' is (apply/workers.ts). V8 otherwise doubles it up to
//   16 MiB during a large apply: a full apply of 10,000 outputs peaked at ~126 MiB with the
//   default, ~99 MiB with 4 MiB and ~93 MiB with 2 MiB, in the same time. With 1 MiB (89 MiB)
//   this thread's garbage collection took ~140 ms of that run against ~100 ms (CPU profiles,
//   2 runs each), with 2 MiB ~110 ms.
import "../dist/src/cli/bin.js";
