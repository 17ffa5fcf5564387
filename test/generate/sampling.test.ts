import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { randomString, uniformIntegers } from "../../src/generate/builtins/sampling.js";
import { scriptedRandom } from "./support.js";

describe("uniformIntegers", () => {
  it("rejects draws at or above the largest multiple of n instead of folding them (no modulo bias)", () => {
    // n = 62: 248 = 4 * 62 is the limit, so 248..255 are thrown away.
    const source = scriptedRandom([255, 248, 247, 0, 61]);
    expect(uniformIntegers(source.random, 62, 3)).toEqual([247 % 62, 0, 61]);
    expect(source.drawn()).toBe(5);
  });

  it("uses two bytes per draw above 256 and rejects past the limit", () => {
    // n = 2049: limit = 65536 - (65536 % 2049) = 63519; 0xffff is rejected, 0x0801 = 2049 -> 0.
    const source = scriptedRandom([0xff, 0xff, 0x08, 0x01]);
    expect(uniformIntegers(source.random, 2049, 1)).toEqual([0]);
  });

  it("stays in range for any n and any byte stream", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 32 }), fc.uint8Array({ minLength: 64, maxLength: 256 }), (n, bytes) => {
        const source = scriptedRandom([...bytes, ...new Array<number>(64).fill(0)]);
        const out = uniformIntegers(source.random, n, 4);
        expect(out).toHaveLength(4);
        for (const v of out) expect(v >= 0 && v < n && Number.isInteger(v)).toBe(true);
      }),
    );
  });

  it("is close to uniform over many draws (chi-square, 62 buckets)", () => {
    const counts = new Array<number>(62).fill(0);
    const draws = uniformIntegers((n) => globalThis.crypto.getRandomValues(new Uint8Array(n)), 62, 62_000);
    for (const d of draws) counts[d] = (counts[d] ?? 0) + 1;
    const chi = counts.reduce((sum, c) => sum + (c - 1000) ** 2 / 1000, 0);
    // 61 degrees of freedom: p = 1e-6 is about 130.
    expect(chi).toBeLessThan(130);
  });

  it("randomString maps each draw to its character (255 is rejected for n = 3)", () => {
    expect(randomString(scriptedRandom([0, 1, 2, 255, 3]).random, "abc", 4)).toBe("abca");
  });

  it("fails loudly when the random source returns the wrong length", () => {
    expect(() => uniformIntegers(() => new Uint8Array(1), 10, 5)).toThrow(/returned 1 bytes, expected 5/);
  });
});
