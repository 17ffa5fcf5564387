/**
 * Loading the master identities: REKEY_IDENTITY (':'-separated paths) or rekey.yaml's
 * master.identities, tried in order. Identity files may be age identity files (X25519,
 * post-quantum and plugin identities), passphrase-encrypted age identity files, or OpenSSH
 * ed25519/rsa keys, encrypted or not. Passphrases and PINs are asked on the terminal, or
 * through REKEY_ASKPASS, once per run. REKEY_PRIMARY_ONLY=1 keeps only the first identity
 * file that loads.
 */
import { readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";
import type { Identity } from "age-encryption";
import { RekeyError } from "../core/errors.js";
import { loadIdentityFile, pluginBinary, pluginIdentitiesOf, pluginOnPath, terminalPrompter, type KeyPrompter } from "../crypto/index.js";
import type { Repo } from "./config.js";

type Env = Readonly<Record<string, string | undefined>>;

/** The identity files to try, in order: REKEY_IDENTITY wins over rekey.yaml. */
export function identityPaths(repo: Repo, env: Env): string[] {
  const fromEnv = env.REKEY_IDENTITY;
  const list = fromEnv !== undefined && fromEnv !== "" ? fromEnv.split(":").filter((p) => p !== "") : [...repo.config.identities];
  return list.map((p) => expandPath(p, repo.root));
}

/** Expands `~/` and makes a path absolute against the repository root. */
export function expandPath(p: string, root: string): string {
  if (p === "~" || p.startsWith("~/")) return join(homedir(), p.slice(1));
  return isAbsolute(p) ? p : join(root, p);
}

/** A loaded master identity set, with notices for the files that were skipped. */
export interface MasterIdentities {
  readonly identities: Identity[];
  readonly notices: string[];
}

/** Options of {@link loadMasterIdentities}. */
export interface LoadIdentitiesOptions {
  /** Asks for passphrases and answers plugins; default: the terminal, or REKEY_ASKPASS. */
  readonly prompter?: KeyPrompter;
}

/**
 * Loads every identity file that exists. A missing file, or a plugin identity whose
 * `age-plugin-<name>` is not on PATH, is skipped with a notice (an absent YubiKey or laptop
 * key is normal); a broken one is an error naming the file. Encrypted identities are
 * unlocked on first use, not here.
 */
export function loadMasterIdentities(repo: Repo, env: Env, options: LoadIdentitiesOptions = {}): MasterIdentities {
  const paths = identityPaths(repo, env);
  const prompter = options.prompter ?? terminalPrompter({ env });
  const primaryOnly = env.REKEY_PRIMARY_ONLY === "1";
  const identities: Identity[] = [];
  const notices: string[] = [];
  for (const path of paths) {
    if (primaryOnly && identities.length > 0) break;
    let bytes: Uint8Array;
    try {
      const st = statSync(path);
      if ((st.mode & 0o077) !== 0) notices.push(`warning: ${path} is readable by group or others; run \`chmod 600 ${path}\``);
      bytes = readFileSync(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") {
        notices.push(`notice: skipping master identity ${path}: no such file`);
        continue;
      }
      throw new RekeyError("IO", `cannot read master identity ${path}: ${(e as Error).message}`, { file: path });
    }
    const loaded = loadIdentityFile(bytes, path, { prompter, env: { ...process.env, ...env } });
    const missing = pluginIdentitiesOf(loaded).filter((p) => !pluginOnPath(p.name, env.PATH ?? process.env.PATH));
    for (const p of missing) notices.push(`notice: skipping master identity ${path}: ${pluginBinary(p.name)} was not found on PATH`);
    identities.push(...loaded.filter((i) => !missing.includes(i as never)));
  }
  if (primaryOnly && identities.length > 0) notices.push("notice: REKEY_PRIMARY_ONLY=1: using only the first master identity file that loaded");
  if (identities.length === 0) {
    const why = notices.filter((n) => n.startsWith("notice: ")).map((n) => n.slice("notice: ".length));
    throw new RekeyError("NO_IDENTITY_MATCHED", `no master identity could be loaded (tried: ${paths.length > 0 ? paths.join(", ") : "none configured"})${why.length > 0 ? `: ${why.join("; ")}` : ""}`, {
      hint: "Set REKEY_IDENTITY=/path/to/identity, or list it under master.identities in rekey.yaml; install the age plugin it needs.",
    });
  }
  return { identities, notices };
}
