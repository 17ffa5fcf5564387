/**
 * Temporary rekey repositories for end-to-end tests, made with the real tools: keys from
 * age-keygen and ssh-keygen, sources encrypted by the `age` CLI (the plaintext goes through
 * a pipe, never to disk), and the built CLI run as a child process with no TTY.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The project root. */
export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const bin = path.join(projectRoot, "bin/rekey.js");

/** Builds dist/ when it is missing (`npm test` builds first). */
export function ensureBuilt(): void {
  if (existsSync(path.join(projectRoot, "dist/src/cli/bin.js"))) return;
  spawnSync(process.execPath, [path.join(projectRoot, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"], { cwd: projectRoot });
}

/** True when the built CLI has a command (its module was compiled). */
export function hasBuiltCommand(name: string): boolean {
  return existsSync(path.join(projectRoot, `dist/src/cli/commands/${name}.js`));
}

/** What a process did. */
export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built CLI in `cwd` with no TTY (stdin closed) and a clean environment. */
export function runRekey(cwd: string, args: readonly string[], env: Record<string, string> = {}): RunResult {
  // The master identity comes from rekey.yaml unless the test passes REKEY_IDENTITY itself.
  const { REKEY_IDENTITY: _ignored, ...inherited } = process.env;
  const base: NodeJS.ProcessEnv = { ...inherited, NO_COLOR: "1", ...env };
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, env: base, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Runs the built CLI with its stdout a pipe whose reader has gone before the first byte
 * (as in `rekey plan | head -c 0`); resolves with the exit code and stderr.
 */
export function runRekeyClosedStdout(cwd: string, args: readonly string[]): Promise<{ code: number; stderr: string }> {
  const { REKEY_IDENTITY: _ignored, ...inherited } = process.env;
  const child = spawn(process.execPath, [bin, ...args], { cwd, env: { ...inherited, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.destroy();
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stderr }));
  });
}

/** Runs `age` with `args`, feeding `input` on stdin. */
export function runAge(args: readonly string[], input?: string | Uint8Array): RunResult & { bytes: Buffer } {
  const r = spawnSync("age", args, { input: input ?? "", maxBuffer: 1 << 26 });
  return { code: r.status ?? -1, stdout: r.stdout.toString("utf8"), stderr: r.stderr.toString("utf8"), bytes: r.stdout };
}

/** Makes an age identity file with age-keygen; returns its recipient. */
export function ageKeygen(file: string): string {
  mkdirSync(path.dirname(file), { recursive: true });
  execFileSync("age-keygen", ["-o", file], { stdio: "ignore" });
  return execFileSync("age-keygen", ["-y", file], { encoding: "utf8" }).trim();
}

/** Makes an OpenSSH ed25519 key pair with ssh-keygen; returns the private key path and public key line. */
export function sshKeygen(file: string, comment: string): { key: string; pub: string } {
  mkdirSync(path.dirname(file), { recursive: true });
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", file], { stdio: "ignore" });
  return { key: file, pub: readFileSync(`${file}.pub`, "utf8").trim() };
}

/** A temporary repository: its root and master key. */
export interface TestRepo {
  readonly root: string;
  readonly masterRecipient: string;
  /** Absolute path of the master identity (outside secrets/, named in rekey.yaml). */
  readonly masterIdentity: string;
}

/** Writes rekey.yaml and a master identity (keys/master.txt) into `root`. */
export function makeRepo(root: string): TestRepo {
  const masterIdentity = path.join(root, "keys/master.txt");
  const masterRecipient = ageKeygen(masterIdentity);
  write(root, "rekey.yaml", `master:\n  recipients:\n    - ${masterRecipient}\n  identities:\n    - keys/master.txt\n`);
  mkdirSync(path.join(root, "hosts"), { recursive: true });
  mkdirSync(path.join(root, "secrets"), { recursive: true });
  return { root, masterRecipient, masterIdentity };
}

/** Encrypts `plaintext` with the `age` CLI to `recipient` (the master key by default) as secrets/<name>.age. */
export function writeSource(repo: TestRepo, name: string, plaintext: string, recipient = repo.masterRecipient): void {
  const file = path.join(repo.root, "secrets", `${name}.age`);
  mkdirSync(path.dirname(file), { recursive: true });
  const r = runAge(["-r", recipient, "-o", file], plaintext);
  if (r.code !== 0) throw new Error(`age failed: ${r.stderr}`);
}

/** Writes hosts/<name>.yaml. */
export function writeHost(repo: TestRepo, name: string, pubkey: string, secrets: readonly string[], extra = ""): void {
  const lines = [`pubkey: ${pubkey}`, extra, "secrets:", ...secrets.map((s) => `  ${JSON.stringify(s)}: {}`)].filter((l) => l !== "");
  write(repo.root, `hosts/${name}.yaml`, lines.join("\n") + "\n");
}

/** Writes a file under `root`, making folders. */
export function write(root: string, rel: string, text: string | Uint8Array): void {
  const file = path.join(root, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

/** Decrypts `file` with `age -d -i identity`. */
export function ageDecrypt(file: string, identity: string): RunResult {
  return runAge(["-d", "-i", identity, file]);
}

/** SHA-256 over every path and file content under `root` (sorted): equal digests, equal trees. */
export function treeDigest(root: string): string {
  const hash = createHash("sha256");
  const walk = (rel: string) => {
    for (const entry of readdirSync(path.join(root, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const child = rel === "" ? entry.name : `${rel}/${entry.name}`;
      hash.update(`${child}\u0000`);
      if (entry.isDirectory()) walk(child);
      else hash.update(readFileSync(path.join(root, child)));
    }
  };
  walk("");
  return hash.digest("hex");
}

/** The relative paths of the files under `dir`, sorted; [] when it does not exist. */
export function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}
