/**
 * The `yaml` package, loaded on first use.
 *
 * Loading it costs about 40 ms, more than the rest of `rekey check` on a small repository,
 * and the common shapes of rekey.yaml, manifests and provenance records are read without it
 * (config-fast.ts, manifest-fast.ts, provenance.ts); so only a command that meets a file
 * outside those shapes pays for it. The package ships a CommonJS build, the one Node loads
 * for `import "yaml"` too, so a synchronous require keeps the callers synchronous. Elsewhere,
 * import only types from "yaml".
 */
import { createRequire } from "node:module";
import type * as Yaml from "yaml";

let loaded: typeof Yaml | undefined;

/** The `yaml` module, loaded on the first call. */
export function yaml(): typeof Yaml {
  loaded ??= createRequire(import.meta.url)("yaml") as typeof Yaml;
  return loaded;
}
