/**
 * The C2SP/CCTV age test vectors (npm `cctv-age`, by Filippo Valsorda and the age authors,
 * https://github.com/C2SP/CCTV/tree/main/age; licence 0BSD OR CC0-1.0 OR Unlicense, no
 * attribution required), run through rekey's crypto module.
 *
 * Mapping of a vector's `expect` to rekey's error codes:
 *   success         -> decrypts; SHA-256 of the plaintext equals `payload`
 *   header failure  -> NOT_AGE_FILE or TRUNCATED
 *   armor failure   -> NOT_AGE_FILE
 *   no match        -> NO_IDENTITY_MATCHED
 *   HMAC failure    -> HEADER_MAC_MISMATCH
 *   payload failure -> PAYLOAD_CORRUPT (rekey releases no plaintext on failure, so the
 *                      vector's partial-payload hash has nothing to compare against)
 *
 * rekey itself has no passphrase (scrypt) or post-quantum (mlkem768x25519) identities. For
 * those vectors the test adds one adapter identity backed by typage's Decrypter, so the rest
 * of the path (strict header, MAC, payload, error mapping) is still rekey's.
 */
import { createHash } from "node:crypto";
import { inflateSync } from "node:zlib";
import * as vectors from "cctv-age";
import { Decrypter, type Identity, type Stanza } from "age-encryption";
import { describe, expect, it } from "vitest";
import { RekeyError, type ErrorCode } from "../../src/core/errors.js";
import { decrypt, parseIdentities } from "../../src/crypto/index.js";

interface Vector {
  readonly name: string;
  readonly expect: string;
  readonly payload?: string;
  readonly identities: string[];
  readonly passphrases: string[];
  readonly file: Uint8Array;
}

function parseVector(name: string, bytes: Uint8Array): Vector {
  const split = Buffer.from(bytes).indexOf("\n\n");
  const fields = Buffer.from(bytes.subarray(0, split)).toString("utf8").split("\n").map((l) => {
    const at = l.indexOf(": ");
    return [l.slice(0, at), l.slice(at + 2)] as const;
  });
  const get = (k: string): string[] => fields.filter(([key]) => key === k).map(([, v]) => v);
  const body = bytes.subarray(split + 2);
  return {
    name,
    expect: get("expect")[0] ?? "",
    payload: get("payload")[0],
    identities: get("identity"),
    passphrases: get("passphrase"),
    file: get("compressed")[0] === "zlib" ? new Uint8Array(inflateSync(body)) : body,
  };
}

/** Test-only adapter: typage's own scrypt and hybrid identities, behind the Identity interface. */
function typageIdentity(configure: (d: Decrypter) => void): Identity {
  const d = new Decrypter();
  configure(d);
  const inner = d as unknown as { unwrapFileKey(s: Stanza[]): Promise<Uint8Array | null> };
  return { unwrapFileKey: (stanzas) => inner.unwrapFileKey(stanzas) };
}

function identitiesOf(v: Vector): Identity[] {
  const native = v.identities.filter((i) => i.startsWith("AGE-SECRET-KEY-1"));
  const other = v.identities.filter((i) => !i.startsWith("AGE-SECRET-KEY-1"));
  const ids = native.length > 0 ? parseIdentities(native.join("\n"), v.name) : [];
  if (other.length > 0 || v.passphrases.length > 0) {
    ids.push(typageIdentity((d) => {
      for (const i of other) d.addIdentity(i);
      for (const p of v.passphrases) d.addPassphrase(p);
    }));
  }
  return ids;
}

const EXPECTED: Record<string, readonly ErrorCode[]> = {
  "header failure": ["NOT_AGE_FILE", "TRUNCATED"],
  "armor failure": ["NOT_AGE_FILE"],
  "no match": ["NO_IDENTITY_MATCHED"],
  "HMAC failure": ["HEADER_MAC_MISMATCH"],
  "payload failure": ["PAYLOAD_CORRUPT"],
};

const all = Object.entries(vectors as Record<string, unknown>)
  .filter((e): e is [string, Uint8Array] => e[1] instanceof Uint8Array)
  .map(([name, bytes]) => parseVector(name, bytes));

describe("C2SP/CCTV age vectors", () => {
  it("has all 143 vectors", () => {
    expect(all).toHaveLength(143);
  });

  it.each(all.map((v) => [v.name, v] as const))("%s", async (_name, v) => {
    const result = decrypt(v.file, identitiesOf(v));
    if (v.expect === "success") {
      const plaintext = await result;
      expect(createHash("sha256").update(plaintext).digest("hex")).toBe(v.payload);
      return;
    }
    const codes = EXPECTED[v.expect];
    expect(codes, `unknown expectation ${v.expect}`).toBeDefined();
    const error: unknown = await result.then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(RekeyError);
    expect(codes).toContain((error as RekeyError).code);
  });
});
