/**
 * Generates a benchmark secrets repository: a master X25519 key, hosts with ssh-ed25519 or
 * age1 keys, random sources encrypted to the master key, and the host manifests.
 *
 * Assignments and sizes come from a seeded PRNG, so every run builds the same shape; key
 * material and plaintext bytes are fresh randomness (their values do not change the cost).
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bech32 } from "@scure/base";
import { Encrypter } from "age-encryption";
import { ed25519PublicKeyOf, rawPublicKey, x25519PrivateKey } from "../src/crypto/primitives.js";

/** The shape of a workload. */
export interface WorkloadSpec {
  readonly hosts: number;
  readonly sources: number;
  /** Sources every host receives (the first `shared` ones). */
  readonly shared: number;
  /** Sources per host, shared ones included. */
  readonly perHost: number;
  readonly seed: number;
}

/** W1 of issue 6: 200 hosts × 50 of 100 sources, 10 of them shared by all = 10,000 outputs. */
export const W1: WorkloadSpec = { hosts: 200, sources: 100, shared: 10, perHost: 50, seed: 6 };
/** W2 of issue 6: 2,000 hosts × all 100 sources = 200,000 outputs. */
export const W2: WorkloadSpec = { hosts: 2000, sources: 100, shared: 100, perHost: 100, seed: 62 };
/** Half of W2 (1,000 hosts), for the peak memory at a second fleet size. */
export const W2_HALF: WorkloadSpec = { ...W2, hosts: 1000, seed: 63 };
/**
 * W1's 10,000 outputs over W2's 2,000 hosts (5 of the 100 sources each, 1 of them shared by
 * all), for the memory a host costs.
 */
export const W1_WIDE: WorkloadSpec = { hosts: 2000, sources: 100, shared: 1, perHost: 5, seed: 64 };

/** A host of the workload. */
export interface BenchHost {
  readonly name: string;
  readonly kind: "ssh-ed25519" | "x25519";
  /** The recipient text: "ssh-ed25519 AAAA... host-N" or "age1...". */
  pubkey: string;
  readonly secrets: readonly string[];
}

/** A generated repository, with the plaintexts kept in memory only. */
export interface Workload {
  readonly root: string;
  readonly spec: WorkloadSpec;
  readonly masterRecipient: string;
  readonly hosts: BenchHost[];
  readonly sourceNames: readonly string[];
  readonly plaintexts: Map<string, Uint8Array>;
  readonly outputs: number;
}

/** mulberry32: a small seeded PRNG; returns floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pad = (n: number, width: number) => String(n).padStart(width, "0");

function rawKeys(type: "x25519" | "ed25519"): { pub: Buffer; priv: Buffer } {
  // Not generateKeyPairSync: in Node 20, the garbage collector can destroy its job object while
  // a key export holds the lock that the job's destructor takes, and the bench hung for good
  // in a JWK export (gdb: ~KeyGenJob in a GC under ExportJWKEdKey).
  const priv = randomBytes(32);
  const pub = type === "x25519" ? rawPublicKey(x25519PrivateKey(priv)) : ed25519PublicKeyOf(priv);
  return { pub: Buffer.from(pub), priv };
}

function sshString(bytes: Uint8Array): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(bytes.length);
  return Buffer.concat([len, bytes]);
}

/** A fresh ed25519 key as an OpenSSH public line: `ssh-ed25519 <base64 wire format> <comment>`. */
export function newSshEd25519Line(comment: string): string {
  const wire = Buffer.concat([sshString(Buffer.from("ssh-ed25519")), sshString(rawKeys("ed25519").pub)]);
  return `ssh-ed25519 ${wire.toString("base64")} ${comment}`;
}

/** A fresh X25519 key pair as age strings. */
export function newAgeKeyPair(): { recipient: string; identity: string } {
  const { pub, priv } = rawKeys("x25519");
  return {
    recipient: bech32.encode("age", bech32.toWords(pub), false),
    identity: bech32.encode("AGE-SECRET-KEY-", bech32.toWords(priv), false).toUpperCase(),
  };
}

/** Encrypts `plaintext` to the workload's master recipient (typage, independent of the engine). */
export async function encryptToMaster(plaintext: Uint8Array, masterRecipient: string): Promise<Uint8Array> {
  const e = new Encrypter();
  e.addRecipient(masterRecipient);
  return await e.encrypt(plaintext);
}

function pickSecrets(spec: WorkloadSpec, names: readonly string[], random: () => number): string[] {
  const rest = names.slice(spec.shared);
  // Partial Fisher-Yates: the first k of a seeded shuffle.
  for (let i = 0; i < spec.perHost - spec.shared; i++) {
    const j = i + Math.floor(random() * (rest.length - i));
    [rest[i], rest[j]] = [rest[j]!, rest[i]!];
  }
  return [...names.slice(0, spec.shared), ...rest.slice(0, spec.perHost - spec.shared)].sort();
}

/** Renders a host manifest: `pubkey:` and one `name: {}` per secret. */
export function renderManifest(host: BenchHost): string {
  return `pubkey: ${host.pubkey}\nsecrets:\n${host.secrets.map((s) => `  ${s}: {}\n`).join("")}`;
}

/** Writes a whole workload repository under `root` (which must exist). */
export async function createWorkload(root: string, spec: WorkloadSpec): Promise<Workload> {
  const random = seededRandom(spec.seed);
  const master = newAgeKeyPair();
  mkdirSync(join(root, "keys"), { recursive: true });
  writeFileSync(join(root, "keys", "master.txt"), `# bench master identity\n${master.identity}\n`, { mode: 0o600 });
  writeFileSync(join(root, "rekey.yaml"), `master:\n  recipients:\n    - ${master.recipient}\n  identities:\n    - keys/master.txt\n`);
  mkdirSync(join(root, "secrets"), { recursive: true });
  mkdirSync(join(root, "hosts"), { recursive: true });

  const sourceNames = Array.from({ length: spec.sources }, (_, i) => `s${pad(i, 3)}`);
  const plaintexts = new Map<string, Uint8Array>();
  for (const name of sourceNames) {
    const size = 32 + Math.floor(random() * (4096 - 32 + 1));
    plaintexts.set(name, randomBytes(size));
  }
  await Promise.all(sourceNames.map(async (name) => writeSource(root, name, plaintexts.get(name)!, master.recipient)));

  const width = String(spec.hosts - 1).length < 3 ? 3 : String(spec.hosts - 1).length;
  const hosts: BenchHost[] = [];
  for (let i = 0; i < spec.hosts; i++) {
    const name = `host-${pad(i, width)}`;
    // One host in four has an age1 key, the others an SSH host key.
    const kind = i % 4 === 3 ? "x25519" : "ssh-ed25519";
    const pubkey = kind === "x25519" ? newAgeKeyPair().recipient : newSshEd25519Line(name);
    const host: BenchHost = { name, kind, pubkey, secrets: pickSecrets(spec, sourceNames, random) };
    writeFileSync(join(root, "hosts", `${name}.yaml`), renderManifest(host));
    hosts.push(host);
  }
  const outputs = hosts.reduce((n, h) => n + h.secrets.length, 0);
  return { root, spec, masterRecipient: master.recipient, hosts, sourceNames, plaintexts, outputs };
}

/** Encrypts one source to the master key and writes secrets/<name>.age. */
export async function writeSource(root: string, name: string, plaintext: Uint8Array, masterRecipient: string): Promise<void> {
  writeFileSync(join(root, "secrets", `${name}.age`), await encryptToMaster(plaintext, masterRecipient));
}

/** Gives `name` new random content of the same size and re-encrypts it. */
export async function changeSource(w: Workload, name: string): Promise<void> {
  const fresh = randomBytes(w.plaintexts.get(name)!.length);
  w.plaintexts.set(name, fresh);
  await writeSource(w.root, name, fresh, w.masterRecipient);
}

/** Gives an ssh host a new ed25519 key and rewrites its manifest. */
export function rotateHostKey(w: Workload, host: BenchHost): void {
  host.pubkey = newSshEd25519Line(host.name);
  writeFileSync(join(w.root, "hosts", `${host.name}.yaml`), renderManifest(host));
}
