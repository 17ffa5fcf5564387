/**
 * Validating an Ed25519 public point and converting it to its X25519 u-coordinate, on
 * @noble/curves' prime-field helpers alone: the full curve module costs ~30 ms of start-up to
 * every command that reads an ssh host key (check, plan, apply), for what is one quadratic
 * residue test and one inversion.
 *
 * The rules are those of noble's strict decoding (`Point.fromBytes(bytes, false)`) followed by
 * `isSmallOrder()`, which the tests check against noble on random, crafted and torsion inputs:
 * - y (the 255 low bits, little-endian) must be canonical: y < p;
 * - x² = (y² − 1) / (d·y² + 1) must have a root: the point is on the curve;
 * - the point must not be one of the 8 points of small order, whose y-coordinates are
 *   0, 1, p − 1 and ±Y8 below (noble's ED25519_TORSION_SUBGROUP; the x = 0 with sign bit
 *   case that strict decoding refuses has y = ±1, so it is among them).
 */
import { invert, mod } from "@noble/curves/abstract/modular.js";

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
  const y = validY(point);
  return y === null ? null : uOfY(y);
}

/**
 * Whether {@link ed25519PointToU} would accept the point: the check alone, without the
 * inversion (about 60% of the cost), which only encryption and decryption need.
 */
export function isValidEd25519Point(point: Uint8Array): boolean {
  return validY(point) !== null;
}

/** {@link ed25519PointToU} for a point that {@link isValidEd25519Point} accepted: the conversion alone. */
export function uOfValidPoint(point: Uint8Array): Uint8Array {
  return uOfY(yOf(point));
}

/** The y-coordinate of a valid point that is not of small order, or null (see above). */
function validY(point: Uint8Array): bigint | null {
  if (point.length !== 32) return null;
  const y = yOf(point);
  if (y >= P || SMALL_ORDER_Y.has(y)) return null;
  const y2 = mod(y * y, P);
  const u = mod(y2 - 1n, P);
  const v = mod(D * y2 + 1n, P);
  // x² = u / v has a root iff u·v is a square (v is never 0: −1/d is not a square).
  return jacobi(mod(u * v, P), P) === 1 ? y : null;
}

/** The 255 low bits, little-endian: the sign of x is any for a point on the curve. */
function yOf(point: Uint8Array): bigint {
  const bytes = Buffer.from(point);
  bytes[31]! &= 0x7f;
  return leToBigInt(bytes);
}

function uOfY(y: bigint): Uint8Array {
  return bigIntToLe(mod((1n + y) * invert(mod(1n - y, P), P), P));
}

/**
 * The Jacobi symbol (a/n) for an odd n > 0, by the binary algorithm (quadratic reciprocity,
 * no exponentiation): for a prime n it is the Legendre symbol, 1 for a non-zero square, −1
 * for a non-square, 0 for 0. About four times faster here than a^((p − 1) / 2) in BigInt,
 * and every command that reads ssh host keys checks each one.
 */
export function jacobi(a: bigint, n: bigint): number {
  let sign = 1;
  a %= n;
  while (a !== 0n) {
    while ((a & 1n) === 0n) {
      a >>= 1n;
      // (2/n) = −1 exactly when n ≡ 3 or 5 (mod 8).
      const r = n & 7n;
      if (r === 3n || r === 5n) sign = -sign;
    }
    [a, n] = [n, a];
    // Reciprocity: (a/n)(n/a) = −1 exactly when both are ≡ 3 (mod 4).
    if ((a & 3n) === 3n && (n & 3n) === 3n) sign = -sign;
    a %= n;
  }
  return n === 1n ? sign : 0;
}

function leToBigInt(bytes: Uint8Array): bigint {
  return BigInt(`0x${Buffer.from(bytes).reverse().toString("hex") || "0"}`);
}

function bigIntToLe(n: bigint): Uint8Array {
  return new Uint8Array(Buffer.from(n.toString(16).padStart(64, "0"), "hex").reverse());
}
