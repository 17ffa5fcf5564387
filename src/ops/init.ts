/**
 * `rekey init`: scaffolds rekey.yaml, secrets/, hosts/ (with a commented example manifest),
 * generators/ and a master identity. Refuses to overwrite anything.
 */
import { existsSync, mkdirSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import { RekeyError } from "../core/errors.js";
import { generateX25519Identity, x25519RecipientOf } from "../crypto/index.js";
import { writeFileAtomic } from "../store/atomic.js";
import { CONFIG_FILE } from "../store/config.js";

/** What init needs. */
export interface InitOptions {
  /** The folder to make a repository of. */
  readonly dir: string;
  /** Where to write the master identity; default `$XDG_CONFIG_HOME/rekey/master.txt`. */
  readonly identity?: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The creation time written into the identity file's comment. */
  readonly now: Date;
}

/** What init created. */
export interface InitResult {
  readonly identityPath: string;
  readonly recipient: string;
  /** Repo-relative files created. */
  readonly files: readonly string[];
  /** The identity file lies inside the repository (it must never be committed). */
  readonly identityInRepo: boolean;
}

const SAMPLE = "hosts/example.yaml.sample";
const FOLDERS = ["secrets", "hosts", "generators"] as const;

/** The default master identity path: `$XDG_CONFIG_HOME/rekey/master.txt`, else `~/.config/rekey/master.txt`. */
export function defaultIdentityPath(env: Readonly<Record<string, string | undefined>>): string {
  const config = env.XDG_CONFIG_HOME !== undefined && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(home(env), ".config");
  return path.join(config, "rekey", "master.txt");
}

function home(env: Readonly<Record<string, string | undefined>>): string {
  return env.HOME !== undefined && env.HOME !== "" ? env.HOME : homedir();
}

/** Scaffolds the repository; throws (writing nothing) if rekey.yaml, the sample or the identity exists. */
export async function initRepo(options: InitOptions): Promise<InitResult> {
  const dir = path.resolve(options.dir);
  const identityPath = path.resolve(dir, options.identity ?? defaultIdentityPath(options.env));
  for (const rel of [CONFIG_FILE, SAMPLE]) {
    if (existsSync(path.join(dir, rel))) {
      throw new RekeyError("IO", `${rel} already exists in ${dir}; rekey init never overwrites anything and wrote nothing`, { file: rel, hint: "This is already a rekey repository: run `rekey plan`. To start over, move the existing files away first." });
    }
  }
  if (existsSync(identityPath)) {
    throw new RekeyError("IO", `the master identity ${identityPath} already exists; rekey init never overwrites a key and wrote nothing`, {
      file: identityPath,
      hint: "Pass --identity PATH to create a new key elsewhere, or write rekey.yaml by hand and list that identity and its recipient (`age-keygen -y FILE`).",
    });
  }
  const identity = generateX25519Identity();
  const recipient = x25519RecipientOf(identity);
  const identityDir = path.dirname(identityPath);
  mkdirSync(identityDir, { recursive: true, mode: 0o700 });
  const keyText = `# rekey master identity, created ${options.now.toISOString()}\n# public key: ${recipient}\n${identity}\n`;
  await writeFileAtomic(identityDir, path.basename(identityPath), keyText, { mode: 0o600 });
  for (const folder of FOLDERS) mkdirSync(path.join(dir, folder), { recursive: true, mode: 0o755 });
  const identityInRepo = !path.relative(dir, identityPath).startsWith("..");
  await writeFileAtomic(dir, CONFIG_FILE, renderConfig(recipient, displayPath(identityPath, dir, options.env)));
  await writeFileAtomic(dir, SAMPLE, SAMPLE_MANIFEST);
  return { identityPath, recipient, files: [CONFIG_FILE, ...FOLDERS.map((f) => `${f}/`), SAMPLE], identityInRepo };
}

/** `~/...` inside the home folder, repo-relative inside the repository, else absolute. */
function displayPath(p: string, dir: string, env: Readonly<Record<string, string | undefined>>): string {
  const inRepo = path.relative(dir, p);
  if (!inRepo.startsWith("..") && !path.isAbsolute(inRepo)) return inRepo.split(path.sep).join("/");
  const inHome = path.relative(home(env), p);
  if (!inHome.startsWith("..") && !path.isAbsolute(inHome)) return `~/${inHome.split(path.sep).join("/")}`;
  return p;
}

function renderConfig(recipient: string, identity: string): string {
  return [
    "# rekey configuration: see `rekey --help` and SPEC.md.",
    "master:",
    "  recipients:          # every source under secrets/ is encrypted to all of these",
    `    - ${recipient}`,
    "  identities:          # tried in order to decrypt sources; REKEY_IDENTITY (':'-separated paths) overrides",
    `    - ${JSON.stringify(identity)}`,
    "# paths:               # optional, relative to this file",
    "#   secrets: secrets",
    "#   hosts: hosts",
    "#   generators: generators",
    "#   output: secrets/rekeyed",
    "",
  ].join("\n");
}

const SAMPLE_MANIFEST = `# An example host manifest. rekey loads only hosts/*.yaml and *.yml, so this file is
# ignored until you copy it: cp hosts/example.yaml.sample hosts/<host>.yaml
# The host's name is the file's stem.

# The host's SSH host key (\`ssh-keyscan -t ed25519 <host>\`), an age1... recipient,
# or {file: keys/<host>.pub}.
pubkey: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA... root@example

secrets:
  # A secret you create yourself: \`rekey edit db-password\` writes secrets/db-password.age.
  db-password:
    owner: app            # deployment metadata, carried into \`rekey export\`
    mode: "0400"
  # A secret rekey creates: \`rekey generate\` (or \`rekey apply\`) runs its generator.
  wg-key:
    generator: wireguard
  admin-password:
    generator: {name: passphrase, words: 6}
    intermediary: true    # generated and kept, never rekeyed to this host
  web/htpasswd:
    generator: {name: htpasswd, user: admin}
    dependencies: [admin-password]
  # "tls/*": {}           # a glob over secrets/
`;
