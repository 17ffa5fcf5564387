/**
 * The store side of `rekey check`: reads the working tree or the git index through the same
 * loaders as `rekey plan`, and gathers the findings that {@link judgeCheck} judges.
 */
import { isRekeyError } from "../core/errors.js";
import type { Plan } from "../core/plan.js";
import { planRekey } from "../core/planner.js";
import { looksLikeAgeFile, readHeader } from "../crypto/header.js";
import { CONFIG_FILE, findRepoRoot, openRepoAt, type Repo } from "../store/config.js";
import { parseSimpleManifest } from "../store/manifest-fast.js";
import { loadHosts } from "../store/manifests.js";
import { sha256Hex, workingTreeFiles, type RepoFiles } from "../store/repo-files.js";
import { splitRelPath } from "../store/safe-path.js";
import { listSources, loadState, mapLimit } from "../store/state.js";
import { yaml } from "../store/yaml-lazy.js";
import { openIndexFiles, type IndexFiles } from "./index-files.js";
import { judgeCheck, type BadAgeFile, type CheckProblem, type LoadFailure } from "./judge.js";

/** Options of {@link checkRepo}. */
export interface CheckOptions {
  /** Judge the git index instead of the working tree. */
  readonly staged: boolean;
}

/** Checks the repository at or above `start`; returns its problems (none when all is well). */
export async function checkRepo(start: string, options: CheckOptions): Promise<CheckProblem[]> {
  const root = findRepoRoot(start);
  const index = options.staged ? await openIndexFiles(root) : undefined;
  // From the index every output's digest is kept: the blobs themselves are streamed past once.
  const digests = new DigestMemo(index === undefined ? DIGESTS_KEPT : Infinity);
  const files = digests.over(index ?? workingTreeFiles(root));
  // The default layout in one batch, but for the outputs (streamed by the scan, never held).
  await index?.prefetch(["hosts", "secrets"], [CONFIG_FILE], { dir: "secrets/rekeyed", suffix: ".age" });
  let repo: Repo;
  try {
    repo = openRepoAt(root, files);
  } catch (e) {
    return judgeCheck({ paths: { secrets: "secrets", hosts: "hosts", generators: "generators", output: "secrets/rekeyed" }, staged: options.staged, badAgeFiles: [], failures: [failure(e)] });
  }
  const { paths } = repo.config;
  const outputs = { dir: paths.output, suffix: ".age" };
  if (index !== undefined) {
    await index.prefetch([paths.hosts, paths.secrets, paths.output], [], outputs);
    await index.prefetch([], pubkeyFiles(index, paths.hosts));
  }
  const badAgeFiles = await scanAgeFiles(files, digests, paths.secrets, paths.output, index);
  if (index !== undefined) {
    await index.stream(outputs, (rel, bytes) => {
      digests.remember(rel, bytes);
      const verdict = judgeAgeBytes(rel, bytes);
      if (verdict !== null) badAgeFiles.push(verdict);
    });
    badAgeFiles.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  }
  const failures: LoadFailure[] = [];
  let plan: Plan | undefined;
  if (badAgeFiles.length === 0) {
    try {
      plan = planRekey((await loadState(repo)).state);
    } catch (e) {
      failures.push(failure(e));
    }
  } else {
    // The plan needs every source; still validate the manifests.
    try {
      loadHosts(root, paths.hosts, new Set(await listSources(repo)), files);
    } catch (e) {
      failures.push(failure(e));
    }
  }
  return judgeCheck({ paths, staged: options.staged, badAgeFiles, failures, ...(plan === undefined ? {} : { plan }) });
}

function failure(e: unknown): LoadFailure {
  if (!isRekeyError(e)) throw e;
  return { code: e.code, message: e.message, ...(e.file === undefined ? {} : { file: e.file }), ...(e.hint === undefined ? {} : { hint: e.hint }) };
}

/**
 * The SHA-256 of the `.age` files the scan for plaintext read whole, for the plan's digestSync:
 * the scan reads every output and the plan that follows hashes every output, so each output is
 * read once instead of twice. In the working tree at most {@link DIGESTS_KEPT} are kept (a path and
 * a digest cost ~170 bytes): a fleet of 200,000 outputs rereads the rest rather than hold
 * ~35 MiB more. Paths are kept normalized: the plan spells them from rekey.yaml's paths.
 */
class DigestMemo {
  readonly #digests = new Map<string, string>();
  constructor(private readonly limit: number) {}

  remember(rel: string, bytes: Uint8Array): void {
    if (this.#digests.size < this.limit) this.#digests.set(normalRel(rel), sha256Hex(bytes));
  }

  /** `files`, answering digestSync from memory for what was remembered. */
  over(files: RepoFiles): RepoFiles {
    return {
      entries: (dir) => files.entries(dir),
      find: (dir, suffix, ignore) => files.find(dir, suffix, ignore),
      readSync: (rel) => files.readSync(rel),
      read: (rel) => files.read(rel),
      digestSync: (rel) => {
        const key = normalRel(rel);
        const known = this.#digests.get(key);
        if (known === undefined) return files.digestSync(rel);
        this.#digests.delete(key); // the plan asks once per output
        return known;
      },
    };
  }
}

const DIGESTS_KEPT = 16_384;

function normalRel(rel: string): string {
  try {
    return splitRelPath(rel).join("/");
  } catch {
    return rel; // not a safe path: never remembered under another spelling
  }
}

/**
 * Every `*.age` under the secrets and output folders, outside the index's outputs (streamed by
 * checkRepo), that is not a well-formed age file.
 */
async function scanAgeFiles(files: RepoFiles, digests: DigestMemo, secrets: string, output: string, index?: IndexFiles): Promise<BadAgeFile[]> {
  const inside = output.startsWith(`${secrets}/`);
  // From the index, the outputs are left out here: checkRepo streams them.
  const ignore = index !== undefined && inside ? output.slice(secrets.length + 1) : undefined;
  const rels = (await files.find(secrets, ".age", ignore)).map((f) => `${secrets}/${f}`);
  if (!inside && index === undefined) rels.push(...(await files.find(output, ".age")).map((f) => `${output}/${f}`));
  const verdicts = await mapLimit(rels.sort(), 32, async (file): Promise<BadAgeFile | null> => {
    const bytes = await files.read(file);
    if (bytes === null) return null;
    digests.remember(file, bytes);
    return judgeAgeBytes(file, bytes);
  });
  return verdicts.filter((v) => v !== null);
}

/** Null for a well-formed age file; otherwise why it is not one. */
export function judgeAgeBytes(file: string, bytes: Uint8Array): BadAgeFile | null {
  if (bytes.length === 0) return { file, verdict: "empty" };
  if (!looksLikeAgeFile(bytes)) return { file, verdict: "plaintext" };
  try {
    readHeader(bytes);
    return null;
  } catch (e) {
    if (!isRekeyError(e)) throw e;
    return { file, verdict: "damaged", detail: e.message };
  }
}

/** The `pubkey: {file: ...}` paths of the staged manifests, so they are read from the index too. */
function pubkeyFiles(files: RepoFiles, hostsDir: string): string[] {
  const out: string[] = [];
  for (const { name, kind } of files.entries(hostsDir)) {
    if (kind !== "file" || !/\.ya?ml$/.test(name)) continue;
    const bytes = files.readSync(`${hostsDir}/${name}`);
    if (bytes === null) continue;
    const text = Buffer.from(bytes).toString("utf8");
    if (parseSimpleManifest(text) !== null) continue; // its pubkey is a key, not a file
    try {
      const path: unknown = yaml().parseDocument(text).getIn(["pubkey", "file"]);
      if (typeof path === "string") out.push(path);
    } catch {
      // A broken manifest: the loader reports it.
    }
  }
  return out;
}
