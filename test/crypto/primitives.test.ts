import { x25519 as noble } from "@noble/curves/ed25519.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { dropEphemeralKeys, ephemeralKeyPair, rawPublicKey, reserveEphemeralKeys, takeEphemeralKey, x25519, x25519PrivateKey, x25519PublicKey } from "../../src/crypto/primitives.js";

describe("native X25519 key objects", () => {
  it("a private key imported from a scalar has the public key @noble computes (the JWK placeholder x is ignored)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (scalar) => {
        expect(rawPublicKey(x25519PrivateKey(scalar))).toEqual(noble.getPublicKey(scalar));
      }),
      { numRuns: 200 },
    );
  });

  it("an ephemeral key's share and shared secrets agree with @noble", () => {
    const peer = noble.utils.randomSecretKey();
    for (let i = 0; i < 50; i++) {
      const { privateKey, share } = ephemeralKeyPair();
      const ours = x25519(privateKey, x25519PublicKey(noble.getPublicKey(peer)));
      expect(ours).toEqual(noble.getSharedSecret(peer, share));
    }
  });

  it("many ephemeral keys in a row do not hang (generateKeyPairSync deadlocked under GC in Node 20)", () => {
    const peer = x25519PublicKey(noble.getPublicKey(noble.utils.randomSecretKey()));
    for (let i = 0; i < 20_000; i++) x25519(ephemeralKeyPair().privateKey, peer);
  });

  it("ephemeral keys made ahead are handed out once each, then fresh ones, all with their own share", () => {
    const peer = noble.utils.randomSecretKey();
    expect(reserveEphemeralKeys(10, 8)).toBe(8); // the limit holds
    expect(reserveEphemeralKeys(10, 8)).toBe(8);
    const shares = new Set<string>();
    for (let i = 0; i < 12; i++) {
      // 8 from the reserve, then 4 made on demand: each must be a valid key whose share is its own.
      const { privateKey, share } = takeEphemeralKey();
      const scalar = Buffer.from(privateKey.export({ format: "jwk" }).d!, "base64url");
      expect(Buffer.from(share, "base64url")).toEqual(Buffer.from(noble.getPublicKey(scalar)));
      expect(x25519(privateKey, x25519PublicKey(noble.getPublicKey(peer)))).toEqual(noble.getSharedSecret(scalar, noble.getPublicKey(peer)));
      shares.add(share);
    }
    expect(shares.size).toBe(12);
    reserveEphemeralKeys(5, 100);
    dropEphemeralKeys();
    expect(reserveEphemeralKeys(0, 100)).toBe(0); // dropped: nothing left to hand out
  });
});
