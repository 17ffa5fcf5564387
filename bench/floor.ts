/**
 * The floor: the X25519 scalar multiplications a full apply cannot avoid, timed on their own
 * on one core with Node's native X25519. An X25519 output costs 2 (the ephemeral key pair and
 * the shared secret), an ssh-ed25519 output 3 (plus the tweak), a master decryption 1.
 */
import { createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject } from "node:crypto";
import { performance } from "node:perf_hooks";

/** How many of each operation the floor runs. */
export interface FloorCounts {
  readonly x25519Outputs: number;
  readonly sshOutputs: number;
  readonly decryptions: number;
}

/** The number of scalar multiplications in `c`. */
export function floorOperations(c: FloorCounts): number {
  return 2 * c.x25519Outputs + 3 * c.sshOutputs + c.decryptions;
}

const SPKI_X25519 = Buffer.from("302a300506032b656e032100", "hex");
const KEYS = 64;

function keyPairs(n: number) {
  return Array.from({ length: n }, () => generateKeyPairSync("x25519"));
}

/** Runs the operations once and returns the elapsed milliseconds. */
export function runX25519Floor(c: FloorCounts): number {
  // Everything that a real engine imports once (recipients, tweaks, the master key) is
  // imported before the clock starts.
  const recipients: KeyObject[] = keyPairs(KEYS).map((k) => k.publicKey);
  const tweaks: KeyObject[] = keyPairs(KEYS).map((k) => k.privateKey);
  const master = generateKeyPairSync("x25519").privateKey;
  const sourceEphemerals: KeyObject[] = keyPairs(Math.min(c.decryptions, KEYS)).map((k) => k.publicKey);
  let sink = 0;
  const start = performance.now();
  for (let i = 0; i < c.x25519Outputs; i++) {
    const eph = generateKeyPairSync("x25519");
    sink ^= diffieHellman({ privateKey: eph.privateKey, publicKey: recipients[i % KEYS]! })[0]!;
  }
  for (let i = 0; i < c.sshOutputs; i++) {
    const eph = generateKeyPairSync("x25519");
    const shared = diffieHellman({ privateKey: eph.privateKey, publicKey: recipients[i % KEYS]! });
    const point = createPublicKey({ key: Buffer.concat([SPKI_X25519, shared]), format: "der", type: "spki" });
    sink ^= diffieHellman({ privateKey: tweaks[i % KEYS]!, publicKey: point })[0]!;
  }
  for (let i = 0; i < c.decryptions; i++) {
    sink ^= diffieHellman({ privateKey: master, publicKey: sourceEphemerals[i % sourceEphemerals.length]! })[0]!;
  }
  const ms = performance.now() - start;
  if (sink === -1) throw new Error("unreachable: keeps the results alive");
  return ms;
}
