#!/usr/bin/env node
// The installed entry point. The TypeScript sources are compiled to dist/ by `npm ci` (prepare).
import "../dist/src/cli/bin.js";
