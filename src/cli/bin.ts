/** The process entry: the engine settings first, then the command line (see entry.ts). */
// First: its settings must be in place before the rest of the code is compiled.
import "./engine-flags.js";
import { runProcess } from "./entry.js";

await runProcess();
