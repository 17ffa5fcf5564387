/**
 * Finding the repository and reading rekey.yaml.
 */
import { existsSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { Node } from "yaml";
import { RekeyError } from "../core/errors.js";
import type { Config, RepoPaths } from "../core/model.js";
import { parseRecipient } from "../crypto/recipients.js";
import { PATH_KEYS, parseSimpleConfig } from "./config-fast.js";
import { workingTreeFiles, type RepoFiles } from "./repo-files.js";
import { yaml } from "./yaml-lazy.js";
import { keyName, parseYamlSource, unknownKeyMessage, type Problems } from "./yaml-source.js";

export const CONFIG_FILE = "rekey.yaml";

const DEFAULT_PATHS: RepoPaths = { secrets: "secrets", hosts: "hosts", generators: "generators", output: "secrets/rekeyed" };

/** An opened repository: its root folder and configuration. */
export interface Repo {
  readonly root: string;
  readonly config: Config;
  /** Whether rekey.yaml exists (every key has a default). */
  readonly hasConfigFile: boolean;
  /** Where the loaders read from; the working tree when absent. */
  readonly files?: RepoFiles;
}

/**
 * Finds the repository by walking up from `start` to the first folder holding rekey.yaml,
 * as git does; failing that, the first folder holding both secrets/ and hosts/.
 */
export function findRepoRoot(start: string): string {
  const from = resolve(start);
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, CONFIG_FILE))) return dir;
    if (dirname(dir) === dir) break;
  }
  for (let dir = from; ; dir = dirname(dir)) {
    if (isDir(join(dir, "secrets")) && isDir(join(dir, "hosts"))) return dir;
    if (dirname(dir) === dir) break;
  }
  throw new RekeyError("CONFIG_NOT_FOUND", `no rekey repository found at or above ${from} (no ${CONFIG_FILE})`, {
    hint: "Run `rekey init` to create one, or pass -C DIR to point at an existing repository.",
  });
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Opens the repository at or above `start` and validates rekey.yaml. */
export function openRepo(start: string): Repo {
  const root = findRepoRoot(start);
  return openRepoAt(root, workingTreeFiles(root));
}

/** Opens the repository at `root`, reading rekey.yaml (and later everything else) from `files`. */
export function openRepoAt(root: string, files: RepoFiles): Repo {
  const bytes = files.readSync(CONFIG_FILE);
  if (bytes === null) return { root, config: { masterRecipients: [], identities: [], paths: DEFAULT_PATHS }, hasConfigFile: false, files };
  return { root, config: parseConfig(Buffer.from(bytes).toString("utf8")), hasConfigFile: true, files };
}

const TOP_KEYS = ["master", "paths"] as const;
const MASTER_KEYS = ["recipients", "identities"] as const;

/** Parses and validates the text of rekey.yaml, reporting every problem at once. */
export function parseConfig(text: string): Config {
  return simpleConfig(text) ?? parseConfigYaml(text);
}

/**
 * A valid rekey.yaml in the simple shape, read without YAML; null for anything else (any
 * problem included: the YAML path then reports it with its position).
 */
function simpleConfig(text: string): Config | null {
  const simple = parseSimpleConfig(text);
  if (simple === null) return null;
  const masterRecipients = simple.recipients.map((r) => r.trim());
  const identities = simple.identities.map((i) => i.trim());
  if ([...masterRecipients, ...identities].includes("") || recipientProblems(masterRecipients).length > 0) return null;
  const paths: Record<string, string> = { ...DEFAULT_PATHS };
  for (const [k, v] of Object.entries(simple.paths)) {
    if (!isRelativePath(v)) return null;
    paths[k] = withoutTrailingSlash(v);
  }
  return { masterRecipients, identities, paths: paths as unknown as RepoPaths };
}

/**
 * {@link parseConfig} through the YAML parser, for any input, with every problem positioned.
 * Exported so the tests can hold the fast path to it.
 */
export function parseConfigYaml(text: string): Config {
  const { isMap, isScalar } = yaml();
  const { root, problems } = parseYamlSource(CONFIG_FILE, text);
  let masterRecipients: string[] = [];
  let identities: string[] = [];
  const paths: Record<string, string> = { ...DEFAULT_PATHS };
  for (const pair of root?.items ?? []) {
    const key = keyName(pair.key);
    const value = pair.value as Node | null;
    if (key === "master" && isMap(value)) {
      for (const p of value.items) {
        const k = keyName(p.key);
        if (k === "recipients") masterRecipients = stringList(value, p.value as Node, "master.recipients", problems);
        else if (k === "identities") identities = stringList(value, p.value as Node, "master.identities", problems);
        else problems.add(CONFIG_FILE, p.key as Node, unknownKeyMessage(k, MASTER_KEYS));
      }
    } else if (key === "paths" && isMap(value)) {
      for (const p of value.items) {
        const k = keyName(p.key);
        const v = p.value as Node | null;
        if (!(PATH_KEYS as readonly string[]).includes(k)) problems.add(CONFIG_FILE, p.key as Node, unknownKeyMessage(k, PATH_KEYS));
        else if (!isScalar(v) || typeof v.value !== "string" || !isRelativePath(v.value)) problems.add(CONFIG_FILE, v ?? (p.key as Node), `paths.${k} must be a relative path inside the repository`);
        else paths[k] = withoutTrailingSlash(v.value);
      }
    } else if (key === "master" || key === "paths") {
      problems.add(CONFIG_FILE, value ?? (pair.key as Node), `${key} must be a mapping`);
    } else {
      problems.add(CONFIG_FILE, pair.key as Node, unknownKeyMessage(key, TOP_KEYS));
    }
  }
  for (const problem of recipientProblems(masterRecipients)) problems.addRaw(problem);
  problems.throwIfAny("INVALID_CONFIG", `Fix ${CONFIG_FILE}; see SPEC.md "rekey.yaml" for the keys it takes.`);
  return { masterRecipients, identities, paths: paths as unknown as RepoPaths };
}

/** Why each master recipient that does not parse is refused. */
function recipientProblems(recipients: readonly string[]): string[] {
  const out: string[] = [];
  recipients.forEach((r, i) => {
    try {
      parseRecipient(r);
    } catch (e) {
      out.push(`${CONFIG_FILE}: master.recipients[${i}]: ${e instanceof Error ? e.message : String(e)}`);
    }
  });
  return out;
}

function stringList(_parent: Node, node: Node | null, what: string, problems: Problems): string[] {
  const { isScalar, isSeq } = yaml();
  if (!isSeq(node)) {
    problems.add(CONFIG_FILE, node, `${what} must be a list of strings`);
    return [];
  }
  const out: string[] = [];
  for (const item of node.items) {
    if (isScalar(item) && typeof item.value === "string" && item.value.trim() !== "") out.push(item.value.trim());
    else problems.add(CONFIG_FILE, item as Node, `${what} entries must be non-empty strings`);
  }
  return out;
}

/** `secrets/` names the folder `secrets`. */
function withoutTrailingSlash(p: string): string {
  return p.replace(/\/+$/, "");
}

function isRelativePath(p: string): boolean {
  // eslint-disable-next-line no-control-regex -- rejecting control characters is the point
  return p.length > 0 && !p.startsWith("/") && !p.split("/").includes("..") && !/[\u0000-\u001f]/.test(p);
}
