/**
 * Passphrase-protected identities, unlocked on first use and then kept in memory for the
 * run, so the passphrase is asked once however many files are decrypted:
 *
 * - an age identity file encrypted with a passphrase (`age -p`, an scrypt stanza);
 * - an encrypted OpenSSH key (`ssh-keygen -N`), whose public key is in clear: it asks only
 *   when a file has a stanza with its tag.
 */
import { scryptSync } from "node:crypto";
import { base64nopad } from "@scure/base";
import type { Identity, Stanza } from "age-encryption";
import { isRekeyError, RekeyError } from "../core/errors.js";
import { decrypt } from "./cipher.js";
import { isBatchIdentity, type BatchIdentity } from "./plugin/keys.js";
import { unwrapFileKey } from "./primitives.js";

/** A lazily unlocked identity; see the module comment. */
export class LockedIdentity implements BatchIdentity {
  #unlocked: Promise<Identity[]> | undefined;

  /**
   * @param unlock - asks for the passphrase and returns the inner identities (called once);
   * @param mightMatch - false for headers the key surely cannot open (no prompt for those).
   */
  constructor(private readonly unlock: () => Promise<Identity[]>, private readonly mightMatch: (stanzas: readonly Stanza[]) => boolean = () => true) {}

  #inner(): Promise<Identity[]> {
    // A failed unlock (wrong passphrase) is kept: the run stops, it does not ask again.
    this.#unlocked ??= this.unlock();
    return this.#unlocked;
  }

  /** Unlocks if any header might match, and prepares the inner batch identities. */
  async prepare(headers: readonly (readonly Stanza[])[]): Promise<void> {
    const relevant = headers.filter((h) => this.mightMatch(h));
    if (relevant.length === 0) return;
    for (const i of await this.#inner()) if (isBatchIdentity(i)) await i.prepare(relevant);
  }

  /** Tries the inner identities in order; null without asking if the header cannot match. */
  async unwrapFileKey(stanzas: Stanza[]): Promise<Uint8Array | null> {
    if (!this.mightMatch(stanzas)) return null;
    for (const i of await this.#inner()) {
      const key = await i.unwrapFileKey(stanzas);
      if (key !== null) return key;
    }
    return null;
  }
}

const SCRYPT_LABEL = "age-encryption.org/v1/scrypt";
const MAX_LOG_N = 22;

/**
 * The scrypt (passphrase) identity, natively (node:crypto scrypt is ~10x faster than
 * pure-JS scrypt at age's default work factor of 2^18).
 */
export class ScryptIdentity implements Identity {
  constructor(private readonly passphrase: string) {}

  unwrapFileKey(stanzas: Stanza[]): Uint8Array | null {
    for (const s of stanzas) {
      if (s.args[0] !== "scrypt") continue;
      if (stanzas.length !== 1) throw bad("an scrypt stanza must be the only stanza");
      const [, saltText = "", logNText = ""] = s.args;
      let salt: Uint8Array;
      try {
        salt = base64nopad.decode(saltText);
      } catch {
        throw bad("bad salt");
      }
      if (s.args.length !== 3 || salt.length !== 16 || !/^[1-9][0-9]?$/.test(logNText)) throw bad("bad arguments");
      const logN = Number(logNText);
      if (logN > MAX_LOG_N) throw bad(`work factor 2^${logN} is too high`);
      const n = 2 ** logN;
      const key = scryptSync(this.passphrase, Buffer.concat([Buffer.from(SCRYPT_LABEL), salt]), 32, { N: n, r: 8, p: 1, maxmem: 256 * 8 * n + (1 << 20) });
      return unwrapFileKey(new Uint8Array(key), s.body);
    }
    return null;
  }
}

function bad(why: string): RekeyError {
  return new RekeyError("NOT_AGE_FILE", `invalid age header: malformed scrypt stanza (${why})`);
}

/**
 * Decrypts a passphrase-encrypted file (an age -p identity file).
 *
 * @throws RekeyError WRONG_PASSPHRASE, or the errors of {@link decrypt}.
 */
export async function decryptWithPassphrase(file: Uint8Array, passphrase: string, origin: string): Promise<Uint8Array> {
  try {
    return await decrypt(file, [new ScryptIdentity(passphrase)]);
  } catch (e) {
    if (isRekeyError(e) && e.code === "NO_IDENTITY_MATCHED") {
      if (e.message.includes("scrypt")) {
        throw new RekeyError("WRONG_PASSPHRASE", `${origin}: wrong passphrase`, { file: origin, hint: "Run the command again and type the identity file's passphrase (check REKEY_ASKPASS if it is set)." });
      }
      throw new RekeyError("BAD_KEY", `${origin}: an encrypted identity file must be encrypted with a passphrase (age -p)`, { file: origin });
    }
    throw isRekeyError(e) ? new RekeyError(e.code, `${origin}: ${e.message}`, { file: origin }) : e;
  }
}
