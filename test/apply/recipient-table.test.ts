/**
 * A worker's table of recipients (encrypt-jobs.ts): each batch brings the specs of its
 * recipients, the table builds a wrap from a spec once and keeps the last ones it built, and
 * counts what it built (the worker collects its heap by that count as well as by outputs).
 * Whatever the table forgot, a wrap rebuilt from its spec encrypts to the same key.
 */
import { generateIdentity, identityToRecipient } from "age-encryption";
import { describe, expect, it } from "vitest";
import { encryptJobs, RecipientTable, type RecipientSpec } from "../../src/apply/encrypt-jobs.js";
import { decrypt } from "../../src/crypto/cipher.js";
import { PointWrap } from "../../src/crypto/point-wrap.js";
import { parseIdentities } from "../../src/crypto/identities.js";
import { parseRecipient } from "../../src/crypto/recipients.js";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { useTempDirs } from "../helpers/tmp.js";

const tempDir = useTempDirs();

async function aKey(): Promise<{ identity: string; spec: RecipientSpec }> {
  const identity = await generateIdentity();
  const target = parseRecipient(await identityToRecipient(identity)).target;
  if (target === undefined) throw new Error("an X25519 recipient has a wrap target");
  return { identity, spec: { target } };
}

describe("RecipientTable", () => {
  it("builds a recipient once from its batch's spec and counts only what it built", async () => {
    const { spec } = await aKey();
    const table = new RecipientTable();
    const specs = new Map([[7, spec]]);
    const first = table.get(7, specs);
    expect(table.builds).toBe(1);
    expect(table.get(7, new Map())).toBe(first); // kept: no spec needed again
    expect(table.builds).toBe(1);
    expect(() => table.get(8, specs)).toThrow(/no recipient 8 in this batch/);
    expect(table.builds).toBe(1);
  });

  it("forgets its wraps once it holds 1,024, rebuilds a forgotten one from its spec, and the rebuilt one encrypts to the same key", async () => {
    const { identity, spec } = await aKey();
    const table = new RecipientTable();
    expect(table.get(0, new Map([[0, spec]]))).toBeInstanceOf(PointWrap); // built at once, not awaited
    // 1,024 other recipients (the same key under other indices) fill the table; the next empties it.
    for (let i = 1; i <= 1_024; i++) expect(table.get(i, new Map([[i, spec]]))).toBeInstanceOf(PointWrap);
    expect(table.builds).toBe(1_025);
    expect(() => table.get(0, new Map())).toThrow(/no recipient 0 in this batch/);
    const dir = await tempDir();
    const results = await encryptJobs(
      [{ secret: "s", recipient: 0, tmp: join(dir, "out.age") }],
      new Map([["s", new TextEncoder().encode("hello")]]),
      (index) => table.get(index, new Map([[index, spec]])),
    );
    expect(table.builds).toBe(1_026);
    expect(results[0]!.writeError).toBeUndefined();
    const plaintext = await decrypt(readFileSync(join(dir, "out.age")), parseIdentities(identity, "test"));
    expect(new TextDecoder().decode(plaintext)).toBe("hello");
  });
});
