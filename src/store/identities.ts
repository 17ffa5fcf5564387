/**
 * Loading the master identities: REKEY_IDENTITY (':'-separated paths) or rekey.yaml's
 * master.identities, tried in order.
 */
import { readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";
import type { Identity } from "age-encryption";
import { RekeyError } from "../core/errors.js";
import { parseIdentities } from "../crypto/index.js";
import type { Repo } from "./config.js";

/** The identity files to try, in order: REKEY_IDENTITY wins over rekey.yaml. */
export function identityPaths(repo: Repo, env: Readonly<Record<string, string | undefined>>): string[] {
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

/**
 * Loads every identity file that exists. A missing file is skipped with a notice (an absent
 * YubiKey or laptop key is normal); a broken one is an error naming the file.
 */
export function loadMasterIdentities(repo: Repo, env: Readonly<Record<string, string | undefined>>): MasterIdentities {
  const paths = identityPaths(repo, env);
  const identities: Identity[] = [];
  const notices: string[] = [];
  for (const path of paths) {
    let text: string;
    try {
      const st = statSync(path);
      if ((st.mode & 0o077) !== 0) notices.push(`warning: ${path} is readable by group or others; run \`chmod 600 ${path}\``);
      text = readFileSync(path, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") {
        notices.push(`notice: skipping master identity ${path}: no such file`);
        continue;
      }
      throw new RekeyError("IO", `cannot read master identity ${path}: ${(e as Error).message}`, { file: path });
    }
    identities.push(...parseIdentities(text, path));
  }
  if (identities.length === 0) {
    throw new RekeyError("NO_IDENTITY_MATCHED", `no master identity could be loaded (tried: ${paths.length > 0 ? paths.join(", ") : "none configured"})`, {
      hint: "Set REKEY_IDENTITY=/path/to/identity, or list it under master.identities in rekey.yaml.",
    });
  }
  return { identities, notices };
}
