/**
 * Decrypting many files in one go, so that a batch identity (an age plugin, or a locked
 * identity file holding plugin identities) opens ONE session for all of them: one PIN entry
 * or touch per run, however many sources the run needs.
 *
 * Identities are tried in order. Each batch identity is prepared with the headers that no
 * earlier identity opened, then every file is finished by {@link decrypt} with its file key,
 * so header MAC and payload checks are exactly those of single-file decryption.
 */
import type { Identity } from "age-encryption";
import type { Stanza } from "./stanza.js";
import { isRekeyError, type RekeyError } from "../core/errors.js";
import { decrypt } from "./cipher.js";
import { headerStanzas, parseAgeFile } from "./header.js";
import { isBatchIdentity } from "./plugin/keys.js";

/** The outcome of one file: its plaintext, or the user-fixable error for that file. */
export type DecryptOutcome = { readonly plaintext: Uint8Array } | { readonly error: RekeyError };

// Errors about the identities or the user, not about one file: they stop the whole batch.
const RUN_ERRORS = new Set(["WRONG_PASSPHRASE", "NO_PROMPT", "PLUGIN_FAILED", "ABORTED"]);

/**
 * Decrypts every file with the identities, batching plugin sessions. Returns one outcome per
 * file, in order.
 *
 * @throws RekeyError WRONG_PASSPHRASE, NO_PROMPT, PLUGIN_FAILED, ABORTED: failures of an
 * identity rather than of a file.
 */
export async function decryptMany(files: readonly Uint8Array[], identities: readonly Identity[]): Promise<DecryptOutcome[]> {
  const resolved: (Identity | null)[] = files.map(() => null);
  const headers: (Stanza[] | null)[] = files.map((f) => {
    try {
      const { binary, header } = parseAgeFile(f);
      return headerStanzas(binary.subarray(0, header.headerLength));
    } catch {
      return null; // decrypt() below reports the same parse error for this file
    }
  });
  let remaining = headers.flatMap((h, i) => (h === null ? [] : [i]));
  for (const identity of identities) {
    if (remaining.length === 0) break;
    if (isBatchIdentity(identity)) await identity.prepare(remaining.map((i) => headers[i]!));
    const next: number[] = [];
    for (const i of remaining) {
      let key: Uint8Array | null;
      try {
        key = await identity.unwrapFileKey(headers[i]!);
      } catch (e) {
        if (isRekeyError(e) && RUN_ERRORS.has(e.code)) throw e;
        resolved[i] = failing(e);
        continue;
      }
      if (key === null) next.push(i);
      else resolved[i] = fixed(key);
    }
    remaining = next;
  }
  const out: DecryptOutcome[] = [];
  for (const [i, file] of files.entries()) {
    try {
      out.push({ plaintext: await decrypt(file, [resolved[i] ?? fixed(null)]) });
    } catch (e) {
      if (!isRekeyError(e)) throw e;
      out.push({ error: e });
    }
  }
  return out;
}

function fixed(key: Uint8Array | null): Identity {
  return { unwrapFileKey: () => key };
}

function failing(error: unknown): Identity {
  return {
    unwrapFileKey: () => {
      throw error;
    },
  };
}
