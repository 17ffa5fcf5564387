/**
 * Reading, decrypting and writing master-encrypted sources, shared by edit, view and
 * update-masterkeys. Decryption goes through apply's decryptSource, so its errors name the
 * file and the fix the same way everywhere.
 */
import { existsSync } from "node:fs";
import { RekeyError } from "../core/errors.js";
import type { SourceRecord } from "../core/model.js";
import { secretNameProblem } from "../core/names.js";
import { compare } from "../core/planner.js";
import { parseRecipient, type RekeyRecipient } from "../crypto/index.js";
import { writeFileAtomic, writeFilesAtomic } from "../store/atomic.js";
import type { Repo } from "../store/config.js";
import { parseSourceRecords, PROVENANCE_FILE, renderSourceRecords } from "../store/provenance.js";
import { resolveInside } from "../store/safe-path.js";
import { checkAgeFile, readRepoFile, sha256Hex, sourcePath, type LoadedState } from "../store/state.js";
import { readFile } from "node:fs/promises";

/** rekey.yaml's master recipients, parsed, with their sorted fingerprint set. */
export interface MasterSet {
  readonly recipients: readonly RekeyRecipient[];
  readonly fingerprints: readonly string[];
}

/** Parses master.recipients; throws INVALID_CONFIG when there are none. */
export function masterSet(repo: Repo): MasterSet {
  if (repo.config.masterRecipients.length === 0) {
    throw new RekeyError("INVALID_CONFIG", "rekey.yaml lists no master.recipients, so sources cannot be encrypted", {
      file: "rekey.yaml",
      hint: "Add your master recipient (age1... or ssh-ed25519 ...) under master.recipients in rekey.yaml, or run `rekey init` in a new repository.",
    });
  }
  const recipients = repo.config.masterRecipients.map((r) => parseRecipient(r));
  return { recipients, fingerprints: [...new Set(recipients.map((r) => r.fingerprint))].sort(compare) };
}

/** Throws INVALID_NAME when `name` cannot be a secret's name. */
export function checkSecretName(name: string): void {
  const problem = secretNameProblem(name);
  if (problem !== null) {
    throw new RekeyError("INVALID_NAME", `the secret name '${JSON.stringify(name).slice(1, -1)}' ${problem}`, { hint: "Use a relative name like `db-password` or `web/htpasswd`, without .age." });
  }
}

/** The sources as read now, for decryptSource: it re-checks each digest before decrypting. */
export function readSources(repo: Repo, names: readonly string[]): LoadedState {
  const sources = new Map<string, string>();
  for (const name of names) {
    const rel = sourcePath(repo, name);
    const bytes = readRepoFile(repo.root, rel);
    checkAgeFile(rel, bytes, name);
    sources.set(name, sha256Hex(bytes));
  }
  return { repo, hosts: [], state: { hosts: [], sources, sourceRecords: new Map(), outputs: new Map() }, fingerprint: "" };
}

/** True when secrets/<name>.age exists (a symlink out of the repository throws). */
export function sourceExists(repo: Repo, name: string): boolean {
  return existsSync(resolveInside(repo.root, sourcePath(repo, name)));
}

/** The path of the sources record, repo-relative. */
export function sourceRecordsPath(repo: Repo): string {
  return `${repo.config.paths.secrets}/${PROVENANCE_FILE}`;
}

/** Reads secrets/provenance.yaml (empty when absent). */
export async function readSourceRecords(repo: Repo): Promise<Map<string, SourceRecord>> {
  const rel = sourceRecordsPath(repo);
  let text: string;
  try {
    text = await readFile(resolveInside(repo.root, rel), "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return new Map();
    throw new RekeyError("IO", `cannot read ${rel}: ${(e as Error).message}`, { file: rel, cause: e });
  }
  return parseSourceRecords(rel, text);
}

/**
 * Writes new ciphertexts atomically, then records their master-recipient set in
 * secrets/provenance.yaml, keeping every other record and each source's `generated` part.
 */
export async function writeSources(repo: Repo, files: ReadonlyMap<string, Uint8Array>, master: MasterSet): Promise<void> {
  const records = await readSourceRecords(repo);
  await writeFilesAtomic(repo.root, [...files].map(([name, data]) => ({ rel: sourcePath(repo, name), data })));
  for (const name of files.keys()) records.set(name, { masterRecipients: master.fingerprints, generated: records.get(name)?.generated });
  await writeFileAtomic(repo.root, sourceRecordsPath(repo), renderSourceRecords(records));
}

/** True when two byte arrays are equal. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
