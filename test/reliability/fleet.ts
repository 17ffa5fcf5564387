/**
 * Large temporary rekey repositories for the reliability tests, built in-process with
 * rekey's own crypto (faster than spawning `age` for hundreds of files), plus the checks
 * the crash harness runs after every kill: each file complete and decryptable, records
 * consistent with files, and convergence to the uninterrupted state.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Identity } from "age-encryption";
import { decrypt, encrypt, generateX25519Identity, parseIdentities, parseRecipient, x25519RecipientOf } from "../../src/crypto/index.js";

/** One host of a fleet and the private key that opens its outputs. */
export interface FleetHost {
  readonly name: string;
  readonly identities: Identity[];
  /** Secrets it receives (intermediaries excluded). */
  readonly receives: readonly string[];
}

/** A fleet repository on disk. */
export interface Fleet {
  readonly root: string;
  readonly master: Identity[];
  readonly hosts: readonly FleetHost[];
  /** Plaintexts of the sources written at set-up (generated ones are not known in advance). */
  readonly plaintexts: ReadonlyMap<string, string>;
  /** Names of the secrets made by a generator. */
  readonly generated: readonly string[];
  /** Every declared secret, generated ones and intermediaries included. */
  readonly secrets: readonly string[];
  /** Every key a host's outputs may be encrypted to, old ones and removed hosts' included. */
  readonly keys: ReadonlyMap<string, Identity[]>;
}

/** Options of {@link makeFleet}. */
export interface FleetOptions {
  readonly hosts: number;
  /** Secrets per host with a source on disk. */
  readonly sources: number;
  /** Secrets per host made by a generator (one of them an intermediary dependency). */
  readonly generated: number;
  /** How many hosts use an OpenSSH ed25519 key (ssh-keygen) instead of an age key. */
  readonly sshHosts?: number;
  /** A marker put in every source plaintext (for the plaintext-hygiene test). */
  readonly marker?: string;
}

/** Writes a fleet into the empty folder `root`. */
export async function makeFleet(root: string, options: FleetOptions): Promise<Fleet> {
  const masterKey = generateX25519Identity();
  const masterRecipient = x25519RecipientOf(masterKey);
  put(root, "keys/master.txt", `${masterKey}\n`, 0o600);
  put(root, "rekey.yaml", `master:\n  recipients:\n    - ${masterRecipient}\n  identities:\n    - keys/master.txt\n`);
  const master = parseIdentities(masterKey, "master");
  const recipients = [parseRecipient(masterRecipient)];
  const plaintexts = new Map<string, string>();
  for (let s = 0; s < options.sources; s++) {
    const name = s % 3 === 0 ? `app/s${s}` : `s${s}`;
    const text = `${options.marker ?? "secret"}-${name}-${"x".repeat(s * 7)}`;
    plaintexts.set(name, text);
    put(root, `secrets/${name}.age`, await encrypt(new TextEncoder().encode(text), recipients));
  }
  // g0 is an intermediary that g1 (htpasswd) depends on; the rest are plain hex/alnum.
  const generatedDecls: string[] = [];
  const generated: string[] = [];
  for (let g = 0; g < options.generated; g++) {
    const name = `gen/g${g}`;
    generated.push(name);
    if (g === 0) generatedDecls.push(`  "${name}": {generator: {name: alnum, length: 24}, intermediary: true}`);
    else if (g === 1 && options.generated > 1) generatedDecls.push(`  "${name}": {generator: {name: htpasswd, user: admin}, dependencies: ["gen/g0"]}`);
    else generatedDecls.push(`  "${name}": {generator: ${g % 2 === 0 ? "hex" : "alnum"}}`);
  }
  const hosts: FleetHost[] = [];
  const sshHosts = options.sshHosts ?? 0;
  for (let h = 0; h < options.hosts; h++) {
    const name = `host${String(h).padStart(2, "0")}`;
    let pubkey: string;
    let identities: Identity[];
    if (h < sshHosts) {
      const key = path.join(root, "keys", name);
      execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", `root@${name}`, "-f", key], { stdio: "ignore" });
      pubkey = readFileSync(`${key}.pub`, "utf8").trim();
      identities = parseIdentities(readFileSync(key, "utf8"), key);
    } else {
      const id = generateX25519Identity();
      pubkey = x25519RecipientOf(id);
      identities = parseIdentities(id, name);
    }
    const lines = [`pubkey: ${pubkey}`, "secrets:", ...[...plaintexts.keys()].map((s) => `  "${s}": {}`), ...generatedDecls];
    put(root, `hosts/${name}.yaml`, lines.join("\n") + "\n");
    hosts.push({ name, identities, receives: [...plaintexts.keys(), ...generated.filter((g) => g !== "gen/g0")].sort() });
  }
  const keys = new Map(hosts.map((h) => [h.name, h.identities]));
  return { root, master, hosts, plaintexts, generated, secrets: [...plaintexts.keys(), ...generated].sort(), keys };
}

/** Copies a fleet's folder to `to` and returns the fleet re-rooted there. */
export function copyFleet(fleet: Fleet, to: string): Fleet {
  cpSync(fleet.root, to, { recursive: true, verbatimSymlinks: true });
  return { ...fleet, root: to };
}

function put(root: string, rel: string, data: string | Uint8Array, mode?: number): void {
  const file = path.join(root, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, data);
  if (mode !== undefined) chmodSync(file, mode);
}

/** Every file under `dir` (relative, sorted, dot-files included); [] when it does not exist. */
export function allFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => !e.isDirectory())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

/** The temp files (`.*.rekey-tmp-*`) and lock files anywhere in the repository. */
export function leftovers(root: string): string[] {
  return allFiles(root).filter((f) => /(^|\/)\.[^/]*\.rekey-tmp-/.test(f) || /(^|\/)\.rekey\.lock/.test(f));
}

/** Decrypts `file` with `identities`; returns the plaintext or throws with the file name. */
export async function open(file: string, identities: readonly Identity[]): Promise<string> {
  try {
    return new TextDecoder().decode(await decrypt(new Uint8Array(readFileSync(file)), identities));
  } catch (e) {
    throw new Error(`${file} does not decrypt: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * SHA-256 over every path under `root` with its type and content (a symlink by its target,
 * never followed): equal digests, equal trees.
 */
export function treeDigest(root: string): string {
  const hash = createHash("sha256");
  const walk = (rel: string) => {
    for (const entry of readdirSync(path.join(root, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const child = rel === "" ? entry.name : `${rel}/${entry.name}`;
      const full = path.join(root, child);
      if (entry.isSymbolicLink()) hash.update(`L ${child}\0${readlinkSync(full)}\0`);
      else if (entry.isDirectory()) {
        hash.update(`D ${child}\0`);
        walk(child);
      } else hash.update(`F ${child}\0${lstatSync(full).mode}\0`).update(readFileSync(full));
    }
  };
  walk("");
  return hash.digest("hex");
}

/** What a CLI run did. */
export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the CLI `bin` with no TTY and the repository's own master identity; a run that
 * hangs is killed after `timeoutMs` and reported as exit -1 (so a hang fails the test
 * instead of blocking it).
 */
export function runCli(bin: string, cwd: string, args: readonly string[], timeoutMs = 60_000): CliResult {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd, encoding: "utf8", timeout: timeoutMs, killSignal: "SIGKILL", stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NO_COLOR: "1", REKEY_IDENTITY: "" },
  });
  const hung = r.error !== undefined || r.signal === "SIGKILL";
  return { code: hung ? -1 : (r.status ?? -1), stdout: r.stdout ?? "", stderr: hung ? `hung: killed after ${timeoutMs} ms\n${r.stderr ?? ""}` : (r.stderr ?? "") };
}

/** {@link runCli} without blocking the event loop, so several repositories can run at once. */
export function runCliAsync(bin: string, cwd: string, args: readonly string[], timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1", REKEY_IDENTITY: "" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve(signal === "SIGKILL" ? { code: -1, stdout, stderr: `hung: killed after ${timeoutMs} ms\n${stderr}` } : { code: code ?? -1, stdout, stderr });
    });
  });
}
