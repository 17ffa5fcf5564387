/**
 * Loads the user's generator plugins (generators/<name>.{mjs,js,ts}) and runs any generator
 * under a time limit, turning every failure into a GENERATOR_FAILED that names the plugin
 * file and the secret.
 */
import { readdir, readFile } from "node:fs/promises";
import { basename, extname, relative, sep } from "node:path";
import { pathToFileURL } from "node:url";
import type TypeScript from "typescript";
import { RekeyError } from "../core/errors.js";
import type { Generator, GeneratorInput } from "./contract.js";

/** The file extensions of plugins, in the order a plugin name is looked up. */
export const PLUGIN_EXTENSIONS = [".mjs", ".js", ".ts"] as const;

/** The default limit on one generator run. */
export const DEFAULT_GENERATOR_TIMEOUT_MS = 30_000;

/** Which file each loaded plugin came from, for error messages (repository-relative). */
const pluginFiles = new WeakMap<Generator, string>();

/** The repository-relative file a plugin was loaded from; undefined for a built-in. */
export function pluginFileOf(generator: Generator): string | undefined {
  return pluginFiles.get(generator);
}

/** The plugin files in `dir` by name (file stem); a missing folder has none. Ignores .d.ts and dotfiles. */
export async function listPluginFiles(dir: string): Promise<ReadonlyMap<string, readonly string[]>> {
  let entries: string[];
  try {
    entries = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return new Map();
    throw e;
  }
  const byName = new Map<string, string[]>();
  for (const entry of entries.sort()) {
    const ext = extname(entry);
    if (entry.startsWith(".") || entry.endsWith(".d.ts") || !(PLUGIN_EXTENSIONS as readonly string[]).includes(ext)) continue;
    const name = basename(entry, ext);
    byName.set(name, [...(byName.get(name) ?? []), `${dir}${sep}${entry}`]);
  }
  return byName;
}

/** `file` relative to the repository, with '/' separators, for messages. */
function displayPath(file: string, repoRoot: string): string {
  const rel = relative(repoRoot, file);
  return rel.startsWith("..") ? file : rel.split(sep).join("/");
}

/**
 * Runs `fn` with process.stdout diverted to stderr: a plugin that prints (at import or in
 * generate) must not corrupt `--json` output, whose consumers parse every stdout line.
 */
async function withStdoutOnStderr<T>(fn: () => Promise<T>): Promise<T> {
  const stdout = process.stdout;
  const own = Object.getOwnPropertyDescriptor(stdout, "write");
  stdout.write = process.stderr.write.bind(process.stderr);
  try {
    return await fn();
  } finally {
    if (own === undefined) delete (stdout as { write?: unknown }).write; // back to the prototype's method
    else Object.defineProperty(stdout, "write", own);
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function loadTypeScript(shown: string): Promise<typeof TypeScript> {
  try {
    const mod = (await import("typescript")) as typeof TypeScript & { default?: typeof TypeScript };
    return mod.default ?? mod;
  } catch (e) {
    throw new RekeyError("GENERATOR_FAILED", `cannot load ${shown}: TypeScript plugins need the "typescript" package, which is not installed`, {
      file: shown,
      hint: `Install it (npm install --save-dev typescript) or write the plugin as ${shown.replace(/\.ts$/u, ".mjs")}.`,
      cause: e,
    });
  }
}

/**
 * A `.ts` plugin, transpiled in memory and imported from a data: URL. Such a module can import
 * only `node:` built-ins and absolute URLs: relative and bare (package) imports do not resolve.
 * Type-only imports are erased and are fine.
 */
async function importTypeScript(file: string, shown: string): Promise<unknown> {
  const ts = await loadTypeScript(shown);
  const out = ts.transpileModule(await readFile(file, "utf8"), {
    fileName: file,
    reportDiagnostics: true,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, sourceMap: false, inlineSourceMap: false },
  });
  const problem = out.diagnostics?.find((d) => d.category === ts.DiagnosticCategory.Error);
  if (problem !== undefined) {
    const where = problem.file !== undefined && problem.start !== undefined ? problem.file.getLineAndCharacterOfPosition(problem.start) : undefined;
    const at = where === undefined ? "" : ` at line ${where.line + 1}, column ${where.character + 1}`;
    throw new Error(`${ts.flattenDiagnosticMessageText(problem.messageText, "\n")}${at}`);
  }
  return import(`data:text/javascript;base64,${Buffer.from(out.outputText).toString("base64")}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return (typeof value === "object" || typeof value === "function") && value !== null;
}

/** Finds the generator in a plugin module and checks its shape; returns a problem or the generator. */
function shapeOf(mod: unknown, name: string): Generator | string {
  const exports = isRecord(mod) ? mod : {};
  const found = [exports.default, exports.generator].find((c) => isRecord(c) && typeof c.generate === "function");
  if (!isRecord(found)) return "exports no generator: expected a default export (or a named export `generator`) with a generate function";
  if (found.name !== undefined && found.name !== name) {
    return `exports a generator named ${JSON.stringify(found.name)}, but its file name says "${name}"`;
  }
  if (found.validate !== undefined && typeof found.validate !== "function") return "exports a generator whose validate is not a function";
  if (found.description !== undefined && typeof found.description !== "string") return "exports a generator whose description is not a string";
  const plugin = found as unknown as Generator;
  // Wrap rather than copy the methods, so a plugin written as a class keeps its `this`.
  return {
    name,
    ...(plugin.description === undefined ? {} : { description: plugin.description }),
    ...(plugin.validate === undefined ? {} : { validate: (settings) => plugin.validate?.(settings) ?? [] }),
    generate: (input) => plugin.generate(input),
  };
}

/**
 * Imports the plugin in `file` (.mjs/.js natively, .ts transpiled in memory) and checks that it
 * exports a generator whose `name`, if given, is the file's stem. Throws GENERATOR_FAILED
 * naming the file when it does not import or has the wrong shape.
 */
export async function loadPlugin(file: string, options: { readonly repoRoot: string }): Promise<Generator> {
  const shown = displayPath(file, options.repoRoot);
  const name = basename(file, extname(file));
  let mod: unknown;
  try {
    mod = await withStdoutOnStderr(() => (extname(file) === ".ts" ? importTypeScript(file, shown) : import(pathToFileURL(file).href)));
  } catch (e) {
    if (e instanceof RekeyError) throw e;
    const dataUrlHint = extname(file) === ".ts" ? " A .ts plugin can import only node: built-ins; use .mjs to import packages or relative files." : "";
    // A .ts plugin runs from a data: URL; name its file instead of printing the whole URL.
    const cause = messageOf(e).replace(/data:text\/javascript;base64,[A-Za-z0-9+/=]+/gu, shown);
    throw new RekeyError("GENERATOR_FAILED", `generator plugin ${shown} failed to load: ${cause}`, {
      file: shown,
      hint: `Fix ${shown} so that it imports cleanly.${dataUrlHint}`,
      cause: e,
    });
  }
  const shaped = shapeOf(mod, name);
  if (typeof shaped === "string") {
    throw new RekeyError("GENERATOR_FAILED", `generator plugin ${shown} ${shaped}`, {
      file: shown,
      hint: `Make ${shown} export default { name: "${name}", generate(input) { return { secret: ... }; } }.`,
    });
  }
  pluginFiles.set(shaped, shown);
  return shaped;
}

/** A generator's output as bytes, checked. */
export interface GeneratedSecret {
  readonly secret: Uint8Array;
  /** The public companion, written to secrets/<name>.pub; undefined when there is none. */
  readonly public: Uint8Array | undefined;
}

/** Options of {@link runGenerator}. */
export interface RunGeneratorOptions {
  /** Milliseconds before the run fails; default {@link DEFAULT_GENERATOR_TIMEOUT_MS}. */
  readonly timeoutMs?: number;
}

function formatDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

function toBytes(value: unknown, what: string): Uint8Array {
  if (typeof value === "string") return new TextEncoder().encode(value);
  if (value instanceof Uint8Array) return new Uint8Array(value);
  throw new Error(`${what} must be a string or a Uint8Array, got ${value === null ? "null" : typeof value}`);
}

/**
 * Runs `generator` for `input.secret`: checks the settings with `validate`, calls `generate`
 * under a time limit, and converts the output to bytes. Every failure (bad settings, a throw,
 * the time limit, a malformed or empty secret) becomes GENERATOR_FAILED naming the secret and,
 * for a plugin, its file. The time limit cannot stop a generator that blocks the event loop.
 */
export async function runGenerator(generator: Generator, input: GeneratorInput, options: RunGeneratorOptions = {}): Promise<GeneratedSecret> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_GENERATOR_TIMEOUT_MS;
  const file = pluginFileOf(generator);
  const label = `generator ${generator.name}${file === undefined ? "" : ` (${file})`} for secret ${input.secret}`;
  const fail = (what: string, hint: string, cause?: unknown): RekeyError =>
    new RekeyError("GENERATOR_FAILED", `${label} ${what}`, { ...(file === undefined ? {} : { file }), hint, cause });
  const fixHint = file === undefined ? "Fix the generator settings in the host manifest." : `Fix ${file}.`;

  let problems: string[];
  try {
    problems = generator.validate?.(input.settings) ?? [];
  } catch (e) {
    throw fail(`failed to validate its settings: ${messageOf(e)}`, fixHint, e);
  }
  if (problems.length > 0) throw fail(`has invalid settings: ${problems.join("; ")}`, "Fix the generator settings in the host manifest.");

  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  let output: unknown;
  try {
    output = await withStdoutOnStderr(() => Promise.race([Promise.resolve().then(() => generator.generate(input)), timedOut]));
  } catch (e) {
    const hint = e instanceof RekeyError && e.hint !== undefined ? e.hint : fixHint;
    throw fail(`failed: ${messageOf(e)}`, hint, e);
  } finally {
    clearTimeout(timer);
  }
  if (output === "timeout") {
    throw fail(`timed out after ${formatDuration(timeoutMs)}`, `A generator must finish within ${formatDuration(timeoutMs)}; check ${file ?? "its settings"} for a promise that never settles.`);
  }
  try {
    if (!isRecord(output)) throw new Error("returned no { secret } object");
    const secret = toBytes(output.secret, "secret");
    if (secret.length === 0) throw new Error("returned an empty secret");
    const pub = output.public === undefined || output.public === null ? undefined : toBytes(output.public, "public");
    if (pub?.length === 0) throw new Error("returned an empty public companion");
    return { secret, public: pub };
  } catch (e) {
    throw fail(messageOf(e), fixHint, e);
  }
}
