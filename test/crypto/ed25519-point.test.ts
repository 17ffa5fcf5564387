/**
 * The lean Ed25519 point check (ed25519-point.ts) against @noble/curves' full decoder, as the
 * oracle: strict `Point.fromBytes`, then `isSmallOrder()`, then (1 + y) / (1 − y).
 */
import { ED25519_TORSION_SUBGROUP, ed25519 } from "@noble/curves/ed25519.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ed25519PointToU, isValidEd25519Point, jacobi, uOfValidPoint } from "../../src/crypto/ed25519-point.js";

function oracle(bytes: Uint8Array): string | null {
  try {
    const p = ed25519.Point.fromBytes(bytes, false);
    if (p.isSmallOrder()) return null;
    const { Fp } = ed25519.Point;
    return Buffer.from(Fp.toBytes(Fp.div(Fp.add(Fp.ONE, p.y), Fp.sub(Fp.ONE, p.y)))).toString("hex");
  } catch {
    return null;
  }
}

/** The lean conversion; every call also checks that the check alone and the conversion alone agree with it. */
const lean = (bytes: Uint8Array): string | null => {
  const u = ed25519PointToU(bytes);
  expect(isValidEd25519Point(bytes)).toBe(u !== null);
  if (u !== null) expect(uOfValidPoint(bytes)).toEqual(u);
  return u === null ? null : Buffer.from(u).toString("hex");
};

const P = 2n ** 255n - 19n;
const le = (n: bigint, sign = false): Uint8Array => {
  const b = Buffer.from(n.toString(16).padStart(64, "0"), "hex").reverse();
  if (sign) b[31]! |= 0x80;
  return new Uint8Array(b);
};

describe("ed25519PointToU agrees with @noble/curves' strict decoding", () => {
  it("on random 32-byte strings (about half are on the curve)", () => {
    let valid = 0;
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (bytes) => {
        const want = oracle(bytes);
        if (want !== null) valid++;
        expect(lean(bytes)).toBe(want);
      }),
      { numRuns: 2000 },
    );
    expect(valid).toBeGreaterThan(700); // the property saw both kinds
  });

  it("on real public keys and their sign-flipped encodings", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (seed) => {
        const pub = ed25519.getPublicKey(seed);
        const flipped = pub.slice();
        flipped[31]! ^= 0x80;
        expect(lean(pub)).not.toBeNull();
        expect(lean(pub)).toBe(oracle(pub));
        expect(lean(flipped)).toBe(oracle(flipped));
      }),
      { numRuns: 300 },
    );
  });

  it("refuses the 8 points of small order, non-canonical y, x = 0 with its sign bit, and wrong lengths", () => {
    for (const hex of ED25519_TORSION_SUBGROUP) {
      const bytes = new Uint8Array(Buffer.from(hex, "hex"));
      expect(oracle(bytes)).toBeNull();
      expect(lean(bytes)).toBeNull();
    }
    for (let k = 0n; k < 19n; k++) {
      for (const sign of [false, true]) {
        const bytes = le(P + k, sign); // y ≥ p: refused by strict decoding, even when y − p is fine
        expect(oracle(bytes)).toBeNull();
        expect(lean(bytes)).toBeNull();
      }
    }
    expect(lean(le(1n, true))).toBeNull();
    expect(lean(le(P - 1n, true))).toBeNull();
    for (const length of [0, 31, 33]) expect(lean(new Uint8Array(length).fill(9))).toBeNull();
  });
});

describe("jacobi", () => {
  /** Euler's criterion, a^((n − 1) / 2) mod n, by square-and-multiply: the definition for a prime n. */
  const euler = (a: bigint, n: bigint): number => {
    let result = 1n;
    let base = a % n;
    for (let e = (n - 1n) / 2n; e > 0n; e >>= 1n) {
      if (e & 1n) result = (result * base) % n;
      base = (base * base) % n;
    }
    return result === 0n ? 0 : result === 1n ? 1 : -1;
  };

  it("is the Legendre symbol modulo 2^255 − 19 and modulo small primes", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: P + 1000n }), (a) => {
        expect(jacobi(a, P)).toBe(euler(a, P));
      }),
      { numRuns: 500 },
    );
    for (const n of [3n, 5n, 7n, 11n, 13n, 97n, 65537n]) {
      for (let a = 0n; a < 2n * n; a++) expect(jacobi(a, n)).toBe(euler(a, n));
    }
  });
});
