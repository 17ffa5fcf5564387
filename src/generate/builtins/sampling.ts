/**
 * Uniform sampling from an injected source of random bytes. Randomness comes only from the
 * generator input, so tests can drive it and no built-in reaches for a global RNG.
 */

/** The `random` function of a generator input. */
export type RandomSource = (length: number) => Uint8Array;

/** Exactly `length` random bytes; throws if the source returns fewer or more. */
export function randomBytes(random: RandomSource, length: number): Uint8Array {
  const bytes = random(length);
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
    throw new Error(`the random source returned ${bytes instanceof Uint8Array ? bytes.length : "no"} bytes, expected ${length}`);
  }
  return bytes;
}

/**
 * `count` independent integers, each uniform in [0, n), for 1 <= n <= 2^32.
 * Rejection sampling: a draw at or above the largest multiple of n is discarded, so there
 * is no modulo bias.
 */
export function uniformIntegers(random: RandomSource, n: number, count: number): number[] {
  if (!Number.isInteger(n) || n < 1 || n > 2 ** 32) throw new RangeError(`cannot sample from a range of ${n}`);
  const width = n <= 2 ** 8 ? 1 : n <= 2 ** 16 ? 2 : 4;
  const space = 2 ** (8 * width);
  const limit = space - (space % n);
  const out: number[] = [];
  while (out.length < count) {
    const bytes = randomBytes(random, (count - out.length) * width);
    for (let i = 0; i < bytes.length && out.length < count; i += width) {
      let draw = 0;
      for (let j = 0; j < width; j++) draw = draw * 256 + (bytes[i + j] ?? 0);
      if (draw < limit) out.push(draw % n);
    }
  }
  return out;
}

/** A string of `length` characters drawn uniformly from `alphabet`. */
export function randomString(random: RandomSource, alphabet: string, length: number): string {
  return uniformIntegers(random, alphabet.length, length)
    .map((i) => alphabet.charAt(i))
    .join("");
}
