/**
 * `rekey update-masterkeys`: re-encrypts the sources whose recorded master-recipient set
 * differs from rekey.yaml's, and only those.
 *
 * Everything happens in memory first: each source is decrypted, re-encrypted, and the new
 * ciphertext decrypted again with the loaded identities. If any new file would be one that
 * no identity at hand opens, nothing is written: losing access to a source must be impossible.
 */
import type { Identity } from "age-encryption";
import { decryptSource } from "../apply/apply.js";
import { isRekeyError, RekeyError } from "../core/errors.js";
import { compare } from "../core/planner.js";
import { decrypt, encrypt } from "../crypto/index.js";
import type { Repo } from "../store/config.js";
import { loadMasterIdentities } from "../store/identities.js";
import { acquireRepoLock } from "../store/lock.js";
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
  const lock = await acquireRepoLock(repo.root, { command: "rekey update-masterkeys" });
  const plaintexts: Uint8Array[] = [];
  try {
    const names = await listSources(repo);
    const records = await readSourceRecords(repo);
    const wanted = master.fingerprints.join("\n");
    const stale = names.filter((n) => [...(records.get(n)?.masterRecipients ?? ["(none)"])].sort(compare).join("\n") !== wanted);
    if (stale.length === 0) return { updated: [], total: names.length, master: master.fingerprints };
    const state = await readSources(repo, stale);
    const keys = loadMasterIdentities(repo, options.env);
    keys.notices.forEach(options.notice);
    const files = new Map<string, Uint8Array>();
    for (const name of stale) {
      const plaintext = await decryptSource(state, name, keys.identities);
      plaintexts.push(plaintext);
      const ciphertext = await encrypt(plaintext, master.recipients);
      await verifyReadable(repo, name, ciphertext, plaintext, keys.identities);
      files.set(name, ciphertext);
    }
    await writeSources(repo, files, master);
    return { updated: stale, total: names.length, master: master.fingerprints };
  } finally {
    for (const p of plaintexts) p.fill(0);
    await lock.release();
  }
}

async function verifyReadable(repo: Repo, name: string, ciphertext: Uint8Array, plaintext: Uint8Array, identities: readonly Identity[]): Promise<void> {
  const rel = sourcePath(repo, name);
  let back: Uint8Array;
  try {
    back = await decrypt(ciphertext, identities);
  } catch (e) {
    if (!isRekeyError(e) || e.code !== "NO_IDENTITY_MATCHED") throw e;
    throw new RekeyError("NO_IDENTITY_MATCHED", `none of your master identities could decrypt ${rel} once re-encrypted to rekey.yaml's master.recipients; nothing was written`, {
      file: "rekey.yaml",
      hint: "Keep the recipient of an identity you hold under master.recipients in rekey.yaml (or point REKEY_IDENTITY at the new key), then run `rekey update-masterkeys` again.",
    });
  }
  const same = sameBytes(back, plaintext);
  back.fill(0);
  if (!same) throw new Error(`update-masterkeys: the re-encrypted ${rel} does not decrypt to the original`);
}
