import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RekeyError } from "../../src/core/errors.js";
import { decrypt, encrypt, generateX25519Identity, parseIdentities, parseRecipient, sshPrivateKeyToAge, x25519RecipientOf } from "../../src/crypto/index.js";
import { makeSshEd25519Key } from "./openssh-keys.js";

interface Key {
  readonly recipient: string;
  readonly identity: string;
}

const x25519Keys: Key[] = Array.from({ length: 3 }, () => {
  const identity = generateX25519Identity();
  return { identity, recipient: x25519RecipientOf(identity) };
});
const sshKeys: Key[] = Array.from({ length: 3 }, (_, i) => {
  const k = makeSshEd25519Key(`host${i}`);
  return { identity: k.privateKey, recipient: k.publicKey };
});
const pool = [...x25519Keys, ...sshKeys];

const random = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 2654435761) >>> 24);
const payloads = fc.oneof(
  fc.uint8Array({ maxLength: 3000 }),
  fc.constantFrom(new Uint8Array(0), random(64 * 1024), random(64 * 1024 + 1), random(128 * 1024), random(200 * 1024)),
);
const recipientSets = fc.uniqueArray(fc.integer({ min: 0, max: pool.length - 1 }), { minLength: 1, maxLength: pool.length });

describe("encrypt / decrypt properties", () => {
  it("decrypt(encrypt(x)) = x for any payload and any mix of X25519 and ssh-ed25519 recipients", async () => {
    await fc.assert(
      fc.asyncProperty(payloads, recipientSets, fc.nat(), fc.boolean(), async (payload, set, pick, armored) => {
        const recipients = set.map((i) => parseRecipient(pool[i]?.recipient ?? ""));
        const file = await encrypt(payload, recipients, { armor: armored });
        const chosen = pool[set[pick % set.length] ?? 0];
        const out = await decrypt(file, parseIdentities(chosen?.identity ?? "", "key"));
        expect(Buffer.from(out).equals(Buffer.from(payload))).toBe(true);
        const outsider = pool.find((_, i) => !set.includes(i));
        if (outsider !== undefined) {
          await expect(decrypt(file, parseIdentities(outsider.identity, "other"))).rejects.toMatchObject({ code: "NO_IDENTITY_MATCHED" });
        }
      }),
      { numRuns: 60 },
    );
  });

  it("flipping any single byte of a file makes decrypt throw a RekeyError", async () => {
    const identities = pool.flatMap((k) => parseIdentities(k.identity, "key"));
    const recipients = [pool[0], pool[3]].map((k) => parseRecipient(k?.recipient ?? ""));
    const files = await Promise.all([random(100), random(70_000)].map((p) => encrypt(p, recipients)));
    await fc.assert(
      fc.asyncProperty(fc.nat(1), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.integer({ min: 1, max: 255 }), fc.boolean(), async (which, at, mask, headerOnly) => {
        const file = files[which] ?? new Uint8Array(0);
        const span = headerOnly ? 400 : file.length;
        const tampered = Uint8Array.from(file);
        const index = Math.floor(at * span);
        tampered[index] = (tampered[index] ?? 0) ^ mask;
        const error: unknown = await decrypt(tampered, identities).then(() => null, (e: unknown) => e);
        expect(error, `byte ${index} ^ ${mask}`).toBeInstanceOf(RekeyError);
      }),
      { numRuns: 300 },
    );
  });

  it("an ssh-ed25519 recipient converted with stanza x25519 decrypts with the ssh-to-age identity only", async () => {
    const key = sshKeys[0];
    const file = await encrypt(new Uint8Array([42]), [parseRecipient(key?.recipient ?? "", { stanza: "x25519" })]);
    expect(await decrypt(file, parseIdentities(sshPrivateKeyToAge(key?.identity ?? ""), "converted"))).toEqual(new Uint8Array([42]));
  });
});
