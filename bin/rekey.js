#!/usr/bin/env -S node --max-semi-space-size=4
// The installed entry point. The TypeScript sources are compiled to dist/ by `npm ci` (prepare).
//
// The Node flag above caps the main thread's young generation at semi-spaces of 4 MiB, as the
// encryption workers' is (apply/workers.ts). V8 otherwise doubles it up to 16 MiB during a
// large apply: a full apply of 10,000 outputs peaked at ~126 MiB with the default and ~100 MiB
// with the cap, for no loss of speed (the bench's runs). Only a start-up flag can set it; the
// bench reads this line and runs the CLI with the same flags.
import "../dist/src/cli/bin.js";
