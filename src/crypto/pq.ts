/**
 * Post-quantum hybrid keys ("age1pq1..." / "AGE-SECRET-KEY-PQ-1...", ML-KEM-768 + X25519),
 * through typage. typage builds them from strings inside Encrypter.addRecipient and
 * Decrypter.addIdentity but does not export the classes, so they are taken from there; the
 * shape is checked, so a typage change fails loudly here rather than silently elsewhere.
 */
import { Decrypter, Encrypter, type Identity, type Recipient } from "age-encryption";
import { RekeyError } from "../core/errors.js";

/** The hybrid recipient of an "age1pq1..." string; throws BAD_KEY. */
export function hybridRecipient(text: string): Recipient {
  const e = new Encrypter();
  try {
    e.addRecipient(text);
  } catch (error) {
    throw new RekeyError("BAD_KEY", `invalid post-quantum recipient "${text.slice(0, 20)}...": ${error instanceof Error ? error.message : String(error)}`);
  }
  const r = (e as unknown as { recipients?: Recipient[] }).recipients?.[0];
  if (r === undefined || typeof r.wrapFileKey !== "function") throw new Error("typage's Encrypter changed shape: cannot build an age1pq1 recipient");
  return r;
}

/** The hybrid identity of an "AGE-SECRET-KEY-PQ-1..." string; throws BAD_KEY (without echoing the key). */
export function hybridIdentity(text: string): Identity {
  const d = new Decrypter();
  try {
    d.addIdentity(text);
  } catch {
    throw new RekeyError("BAD_KEY", "invalid post-quantum identity: not a valid AGE-SECRET-KEY-PQ-1... string");
  }
  const i = (d as unknown as { identities?: Identity[] }).identities?.[0];
  if (i === undefined || typeof i.unwrapFileKey !== "function") throw new Error("typage's Decrypter changed shape: cannot build an AGE-SECRET-KEY-PQ-1 identity");
  return i;
}
