/**
 * The floor: the X25519 scalar multiplications a full apply cannot avoid, timed on their own
 * on one core with Node's native X25519 (node:crypto diffieHellman). An X25519 output costs 2
 * (the ephemeral public key, a multiplication of the base point, and the shared secret), an
 * ssh-ed25519 output 3 (plus the tweak), a master decryption 1. Every key is imported before
 * the clock starts, so only the multiplications are timed.
 */
import { createPrivateKey, createPublicKey, diffieHellman, randomBytes, type KeyObject } from "node:crypto";
import { performance } from "node:perf_hooks";

/** How many of each operation the floor runs. */
export interface FloorCounts {
  readonly x25519Outputs: number;
  readonly sshOutputs: number;
  readonly decryptions: number;
}

/**
 * The number of scalar multiplications in `c`, with `perSsh` per ssh-ed25519 output: 3 as the
 * issue counts them (agessh's order), 2 as rekey computes them (tweak·pk once per host).
 */
export function floorOperations(c: FloorCounts, perSsh: 2 | 3 = 3): number {
  return 2 * c.x25519Outputs + perSsh * c.sshOutputs + c.decryptions;
}

const KEYS = 64;
const BASE_POINT = Buffer.alloc(32);
BASE_POINT[0] = 9;

function privateKey(): KeyObject {
  // The public half is derived from `d`; `x` must only be present and of the right size.
  return createPrivateKey({ key: { kty: "OKP", crv: "X25519", d: randomBytes(32).toString("base64url"), x: BASE_POINT.toString("base64url") }, format: "jwk" });
}

function publicKey(u: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: "OKP", crv: "X25519", x: Buffer.from(u).toString("base64url") }, format: "jwk" });
}

/** Runs the operations once and returns the elapsed milliseconds. */
export function runX25519Floor(c: FloorCounts, perSsh: 2 | 3 = 3): number {
  const base = publicKey(BASE_POINT);
  const scalars = Array.from({ length: KEYS }, privateKey); // ephemeral scalars, tweaks, the master key
  const points = scalars.map((k) => publicKey(diffieHellman({ privateKey: k, publicKey: base }))); // recipients, shared secrets, shares
  let sink = 0;
  const mul = (i: number, j: number, p: KeyObject = points[j % KEYS]!) => {
    sink ^= diffieHellman({ privateKey: scalars[i % KEYS]!, publicKey: p })[0]!;
  };
  const start = performance.now();
  for (let i = 0; i < c.x25519Outputs; i++) {
    mul(i, 0, base); // the ephemeral share
    mul(i, i + 1); // the shared secret
  }
  for (let i = 0; i < c.sshOutputs; i++) {
    mul(i, 0, base);
    mul(i, i + 1);
    if (perSsh === 3) mul(i + 7, i + 3); // the tweak times the shared secret
  }
  for (let i = 0; i < c.decryptions; i++) mul(i, i + 5);
  const ms = performance.now() - start;
  if (sink === -1) throw new Error("unreachable: keeps the results alive");
  return ms;
}
