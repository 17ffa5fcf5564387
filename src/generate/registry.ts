/**
 * Finds a generator by name: a built-in, or a user plugin in the repository's generators/
 * folder. The two name spaces never overlap: a plugin named like a built-in is an error.
 */
import { isAbsolute, relative, sep } from "node:path";
import { RekeyError } from "../core/errors.js";
import { age } from "./builtins/age.js";
import { alnum } from "./builtins/alnum.js";
import { base64 } from "./builtins/base64.js";
import { hex } from "./builtins/hex.js";
import { htpasswd } from "./builtins/htpasswd.js";
import { nixSigningKey } from "./builtins/nix-signing-key.js";
import { passphrase } from "./builtins/passphrase.js";
import { sshEd25519 } from "./builtins/ssh-ed25519.js";
import { wireguard } from "./builtins/wireguard.js";
import type { Generator } from "./contract.js";
import { listPluginFiles, loadPlugin } from "./plugin-loader.js";

const BUILTINS: ReadonlyMap<string, Generator> = new Map(
  [age, alnum, base64, hex, htpasswd, nixSigningKey, passphrase, sshEd25519, wireguard].map((g) => [g.name, g]),
);

/** The built-in generators by name, sorted by name. */
export function builtinGenerators(): ReadonlyMap<string, Generator> {
  return BUILTINS;
}

/** Where {@link resolveGenerator} looks for user plugins. */
export interface ResolveGeneratorOptions {
  /** The absolute path of the generators folder (need not exist). */
  readonly generatorsDir: string;
  /** The repository root, for repository-relative paths in messages. */
  readonly repoRoot: string;
}

const PLUGIN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/u;

function relativeTo(repoRoot: string, file: string): string {
  const rel = relative(repoRoot, file);
  return rel.startsWith("..") || isAbsolute(rel) ? file : rel.split(sep).join("/");
}

/**
 * The generator called `name`: a built-in, or the plugin generators/<name>.{mjs,js,ts}.
 * Throws UNKNOWN_GENERATOR (listing what exists) when there is neither, and GENERATOR_FAILED
 * when any plugin shadows a built-in, when two files share the name, or when the plugin fails to load.
 */
export async function resolveGenerator(name: string, options: ResolveGeneratorOptions): Promise<Generator> {
  const plugins = await listPluginFiles(options.generatorsDir);
  for (const [pluginName, files] of plugins) {
    if (!BUILTINS.has(pluginName)) continue;
    const shown = relativeTo(options.repoRoot, files[0] ?? pluginName);
    throw new RekeyError("GENERATOR_FAILED", `${shown} shadows the built-in ${pluginName} generator`, {
      file: shown,
      hint: `Rename ${shown} (and the manifests that use it); the built-in names are reserved: ${[...BUILTINS.keys()].join(", ")}.`,
    });
  }
  const builtin = BUILTINS.get(name);
  if (builtin !== undefined) return builtin;

  const files = PLUGIN_NAME.test(name) ? plugins.get(name) : undefined;
  if (files === undefined || files.length === 0) {
    const user = [...plugins.keys()];
    const dir = relativeTo(options.repoRoot, options.generatorsDir) || ".";
    throw new RekeyError("UNKNOWN_GENERATOR", `unknown generator ${JSON.stringify(name)}`, {
      hint:
        `Use a built-in (${[...BUILTINS.keys()].join(", ")})` +
        (user.length > 0 ? `, a plugin in ${dir}/ (${user.join(", ")})` : "") +
        (PLUGIN_NAME.test(name) ? `, or write ${dir}/${name}.mjs.` : "."),
    });
  }
  const [file, ...others] = files;
  if (file === undefined || others.length > 0) {
    const shown = files.map((f) => relativeTo(options.repoRoot, f));
    throw new RekeyError("GENERATOR_FAILED", `generator ${name} is defined twice: ${shown.join(" and ")}`, {
      file: shown[0],
      hint: "Keep one file per generator name.",
    });
  }
  return loadPlugin(file, { repoRoot: options.repoRoot });
}
