/**
 * `rekey update-masterkeys`: re-encrypts the sources whose recorded master-recipient set
 * differs from rekey.yaml's, and only those.
 *
 * Everything happens in memory first: each source is decrypted, re-encrypted, and the new
 * ciphertext decrypted again with the loaded identities. If any new file would be one that
 * no identity at hand opens, nothing is written: losing access to a source must be impossible.
 */
import { decryptSourcesNamed } from "../apply/apply.js";
import { RekeyError } from "../core/errors.js";
import { compare } from "../core/planner.js";
import { decryptMany, encrypt, type DecryptOutcome } from "../crypto/index.js";
import type { Repo } from "../store/config.js";
import { loadMasterIdentities } from "../store/identities.js";
import { lockForWriting } from "../store/write-lock.js";
import { listSources, sourcePath } from "../store/state.js";
import { masterSet, readSourceRecords, readSources, sameBytes, writeSources } from "./sources.js";

/** What update-masterkeys did. */
export interface UpdateMasterkeysResult {
  /** The sources it re-encrypted, sorted. */
  readonly updated: readonly string[];
  /** How many sources there are in all. */
  readonly total: number;
  /** The master recipient fingerprints now recorded. */
  readonly master: readonly string[];
}

/** Re-encrypts every source whose master set differs; see the module comment. */
export async function updateMasterkeys(repo: Repo, options: { env: Readonly<Record<string, string | undefined>>; notice: (line: string) => void }): Promise<UpdateMasterkeysResult> {
  const master = masterSet(repo);
  const lock = await lockForWriting(repo, "rekey update-masterkeys");
  const plaintexts: Uint8Array[] = [];
  try {
    const names = await listSources(repo);
    const records = await readSourceRecords(repo);
    const wanted = master.fingerprints.join("\n");
    const stale = names.filter((n) => [...(records.get(n)?.masterRecipients ?? ["(none)"])].sort(compare).join("\n") !== wanted);
    if (stale.length === 0) return { updated: [], total: names.length, master: master.fingerprints };
    const state = readSources(repo, stale);
    const keys = loadMasterIdentities(repo, options.env);
    keys.notices.forEach(options.notice);
    const files = new Map<string, Uint8Array>();
    // Decrypt, and later verify, in batches: a plugin identity opens one session for each.
    const decrypted = await decryptSourcesNamed(state, stale, keys.identities);
    for (const name of stale) {
      const plaintext = decrypted.get(name)!;
      plaintexts.push(plaintext);
      files.set(name, await encrypt(plaintext, master.recipients));
    }
    const outcomes = await decryptMany([...files.values()], keys.identities);
    for (const [i, name] of stale.entries()) verifyReadable(repo, name, outcomes[i]!, decrypted.get(name)!);
    await writeSources(repo, files, master);
    return { updated: stale, total: names.length, master: master.fingerprints };
  } finally {
    for (const p of plaintexts) p.fill(0);
    await lock.release();
  }
}

function verifyReadable(repo: Repo, name: string, outcome: DecryptOutcome, plaintext: Uint8Array): void {
  const rel = sourcePath(repo, name);
  if ("error" in outcome) {
    if (outcome.error.code !== "NO_IDENTITY_MATCHED") throw outcome.error;
    throw new RekeyError("NO_IDENTITY_MATCHED", `none of your master identities could decrypt ${rel} once re-encrypted to rekey.yaml's master.recipients; nothing was written`, {
      file: "rekey.yaml",
      hint: "Keep the recipient of an identity you hold under master.recipients in rekey.yaml (or point REKEY_IDENTITY at the new key), then run `rekey update-masterkeys` again.",
    });
  }
  const same = sameBytes(outcome.plaintext, plaintext);
  outcome.plaintext.fill(0);
  if (!same) throw new Error(`update-masterkeys: the re-encrypted ${rel} does not decrypt to the original`);
}
