/** The process entry: the engine settings first, then the command line (see entry.ts). */
// First: the environment the processes rekey starts inherit (see bin/rekey.js's "#!" line).
import "./launch-env.js";
// Then: its settings must be in place before the rest of the code is compiled.
import "./engine-flags.js";
// Second: apply's workers boot while the rest of the CLI loads.
import "./early-start.js";

const { runProcess } = await import("./entry.js");
await runProcess();
