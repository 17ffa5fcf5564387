/**
 * Post-quantum hybrid keys ("age1pq1..." / "AGE-SECRET-KEY-PQ-1...", ML-KEM-768 + X25519),
 * through typage. typage builds them from strings inside Encrypter.addRecipient and
 * Decrypter.addIdentity but does not export the classes, so they are taken from there; the
 * shape is checked, so a typage change fails loudly here rather than silently elsewhere.
 *
 * typage is loaded on first use, not when a key is parsed: `plan` and `check` parse every
 * host key and must start fast. Parsing checks the bech32 encoding; typage checks the rest.
 */
import type { Identity, Recipient } from "age-encryption";
import { bech32 } from "@scure/base";
import { RekeyError } from "../core/errors.js";

function checkBech32(text: string, prefix: string, what: string, echo: boolean): void {
  try {
    const { prefix: got } = bech32.decode(text.toLowerCase() as `${string}1${string}`, false);
    if (got === prefix) return;
  } catch {
    // reported below
  }
  throw new RekeyError("BAD_KEY", `invalid ${what}${echo ? ` "${text.slice(0, 20)}..."` : ""}: not a valid ${prefix}1... bech32 string`);
}

/** The hybrid recipient of an "age1pq1..." string; throws BAD_KEY. */
export function hybridRecipient(text: string): Recipient {
  checkBech32(text, "age1pq", "post-quantum recipient", true);
  let inner: Promise<Recipient> | undefined;
  const load = async (): Promise<Recipient> => {
    const { Encrypter } = await import("age-encryption");
    const e = new Encrypter();
    try {
      e.addRecipient(text);
    } catch (error) {
      throw new RekeyError("BAD_KEY", `invalid post-quantum recipient "${text.slice(0, 20)}...": ${error instanceof Error ? error.message : String(error)}`);
    }
    const r = (e as unknown as { recipients?: Recipient[] }).recipients?.[0];
    if (r === undefined || typeof r.wrapFileKey !== "function") throw new Error("typage's Encrypter changed shape: cannot build an age1pq1 recipient");
    return r;
  };
  return { wrapFileKey: async (fileKey) => (await (inner ??= load())).wrapFileKey(fileKey) };
}

/** The hybrid identity of an "AGE-SECRET-KEY-PQ-1..." string; throws BAD_KEY (without echoing the key). */
export function hybridIdentity(text: string): Identity {
  checkBech32(text, "age-secret-key-pq-", "post-quantum identity", false);
  let inner: Promise<Identity> | undefined;
  const load = async (): Promise<Identity> => {
    const { Decrypter } = await import("age-encryption");
    const d = new Decrypter();
    try {
      d.addIdentity(text);
    } catch {
      throw new RekeyError("BAD_KEY", "invalid post-quantum identity: not a valid AGE-SECRET-KEY-PQ-1... string");
    }
    const i = (d as unknown as { identities?: Identity[] }).identities?.[0];
    if (i === undefined || typeof i.unwrapFileKey !== "function") throw new Error("typage's Decrypter changed shape: cannot build an AGE-SECRET-KEY-PQ-1 identity");
    return i;
  };
  return { unwrapFileKey: async (stanzas) => (await (inner ??= load())).unwrapFileKey(stanzas) };
}
