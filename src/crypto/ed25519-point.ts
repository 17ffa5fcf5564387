/**
 * Validating an Ed25519 public point and converting it to its X25519 u-coordinate, on
 * @noble/curves' prime-field helpers alone: the full curve module costs ~30 ms of start-up to
 * every command that reads an ssh host key (check, plan, apply), for what is one field
 * exponentiation and one inversion.
 *
 * The rules are those of noble's strict decoding (`Point.fromBytes(bytes, false)`) followed by
 * `isSmallOrder()`, which the tests check against noble on random, crafted and torsion inputs:
 * - y (the 255 low bits, little-endian) must be canonical: y < p;
 * - x² = (y² − 1) / (d·y² + 1) must have a root: the point is on the curve;
 * - the point must not be one of the 8 points of small order, whose y-coordinates are
 *   0, 1, p − 1 and ±Y8 below (noble's ED25519_TORSION_SUBGROUP; the x = 0 with sign bit
 *   case that strict decoding refuses has y = ±1, so it is among them).
 */
import { invert, mod, pow2 } from "@noble/curves/abstract/modular.js";

const P = 2n ** 255n - 19n;
/** d = −121665 / 121666, the curve constant. */
const D = mod(-121665n * invert(121666n, P), P);
/** The y-coordinate of the points of order 8 (and P − Y8), from noble's torsion subgroup. */
const Y8 = leToBigInt(Buffer.from("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a", "hex"));
const SMALL_ORDER_Y = new Set([0n, 1n, P - 1n, Y8, P - Y8]);

/**
 * The X25519 u-coordinate, (1 + y) / (1 − y), of a valid Ed25519 point that is not of small
 * order; null for anything else (wrong length, non-canonical, off the curve, small order).
 */
export function ed25519PointToU(point: Uint8Array): Uint8Array | null {
  if (point.length !== 32) return null;
  const bytes = Buffer.from(point);
  bytes[31]! &= 0x7f; // the sign of x: any sign is valid for a point on the curve
  const y = leToBigInt(bytes);
  if (y >= P || SMALL_ORDER_Y.has(y)) return null;
  const y2 = mod(y * y, P);
  const u = mod(y2 - 1n, P);
  const v = mod(D * y2 + 1n, P);
  // x² = u / v has a root iff u·v is a square (v is never 0: −1/d is not a square).
  if (legendre(mod(u * v, P)) !== 1n) return null;
  return bigIntToLe(mod((1n + y) * invert(mod(1n - y, P), P), P));
}

/** a^((p − 1) / 2) mod p: 1 for a non-zero square, p − 1 for a non-square, 0 for 0. */
function legendre(a: bigint): bigint {
  // (p − 1) / 2 = 2^254 − 10 = 4 · (2^252 − 3) + 2; a^(2^252 − 3) by the usual addition chain.
  const sq = (x: bigint, times: number) => pow2(x, BigInt(times), P);
  const mul = (x: bigint, y: bigint) => mod(x * y, P);
  const a3 = mul(sq(a, 1), a); // a^(2^2 − 1)
  const a15 = mul(sq(a3, 2), a3); // 2^4 − 1
  const a31 = mul(sq(a15, 1), a); // 2^5 − 1
  const e10 = mul(sq(a31, 5), a31); // 2^10 − 1
  const e20 = mul(sq(e10, 10), e10);
  const e40 = mul(sq(e20, 20), e20);
  const e50 = mul(sq(e40, 10), e10);
  const e100 = mul(sq(e50, 50), e50);
  const e200 = mul(sq(e100, 100), e100);
  const e250 = mul(sq(e200, 50), e50); // 2^250 − 1
  const t = mul(sq(e250, 2), a); // 2^252 − 3
  return mul(sq(t, 2), mul(a, a));
}

function leToBigInt(bytes: Uint8Array): bigint {
  return BigInt(`0x${Buffer.from(bytes).reverse().toString("hex") || "0"}`);
}

function bigIntToLe(n: bigint): Uint8Array {
  return new Uint8Array(Buffer.from(n.toString(16).padStart(64, "0"), "hex").reverse());
}
