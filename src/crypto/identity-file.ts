/**
 * Identity files as the age CLI accepts them with -i, for master identities:
 *
 * - age identity files: AGE-SECRET-KEY-… (X25519), AGE-SECRET-KEY-PQ-1 (post-quantum) and
 *   AGE-PLUGIN-<NAME>-1 (plugin) lines, "#" comments, blank lines;
 * - a passphrase-encrypted age identity file (`age -p`, binary or armored);
 * - OpenSSH ssh-ed25519 and ssh-rsa private keys, unencrypted or passphrase-protected.
 *
 * Passphrases are asked through the prompter on first use, once. Unlike
 * {@link parseIdentities} (the strict, prompt-free parser), nothing here is refused for
 * being encrypted or a plugin.
 */
import type { Identity, Stanza } from "age-encryption";
import { isRekeyError, RekeyError } from "../core/errors.js";
import { looksLikeAgeFile } from "./header.js";
import { decryptWithPassphrase, LockedIdentity } from "./locked.js";
import { openOpenSshKey, readOpenSshKeyFile, type OpenSshPrivateKey } from "./openssh-key-file.js";
import { isOpenSshPrivateKey, isOtherPemPrivateKey } from "./openssh-private-key.js";
import { PluginIdentity, pluginNameOfIdentity } from "./plugin/keys.js";
import { hybridIdentity } from "./pq.js";
import type { KeyPrompter } from "./prompter.js";
import { SshEd25519Identity } from "./ssh-ed25519.js";
import { SshRsaIdentity, sshKeyTag } from "./ssh-rsa.js";
import { decodeX25519Identity, X25519Identity } from "./x25519.js";
import { AGE_IDENTITY_PREFIX } from "./key-markers.js";

/** What {@link loadIdentityFile} needs. */
export interface IdentityFileOptions {
  /** Asks for passphrases and answers plugins. */
  readonly prompter: KeyPrompter;
  /** The environment of plugin processes (PATH finds them); default process.env. */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Parses an identity file of any supported kind (see the module comment). `origin` names the
 * file in messages and prompts. Encrypted keys are returned locked: nothing is asked here.
 *
 * @throws RekeyError BAD_KEY (malformed), UNSUPPORTED_KEY_TYPE (e.g. ecdsa keys).
 */
export function loadIdentityFile(bytes: Uint8Array, origin: string, options: IdentityFileOptions): Identity[] {
  if (looksLikeAgeFile(bytes)) {
    return [
      new LockedIdentity(async () => {
        const passphrase = await options.prompter.secret(`Enter passphrase for identity file ${origin}:`);
        const plain = await decryptWithPassphrase(bytes, passphrase, origin);
        try {
          return parseIdentityLines(new TextDecoder().decode(plain), origin, options);
        } finally {
          plain.fill(0);
        }
      }),
    ];
  }
  const text = new TextDecoder().decode(bytes);
  if (isOpenSshPrivateKey(text)) return [sshIdentity(text, origin, options)];
  if (isOtherPemPrivateKey(text)) {
    const type = /-----BEGIN ([A-Z0-9 ]*?) ?PRIVATE KEY-----/.exec(text)?.[1] ?? "PEM";
    throw new RekeyError("UNSUPPORTED_KEY_TYPE", `${origin}: unsupported private key format (${type || "PKCS #8"} PEM): convert it to the OpenSSH format with \`ssh-keygen -p -f ${origin}\``, { file: origin });
  }
  return parseIdentityLines(text, origin, options);
}

function sshIdentity(pem: string, origin: string, options: IdentityFileOptions): Identity {
  const file = readOpenSshKeyFile(pem, origin);
  if (!file.encrypted) return identityOf(openOpenSshKey(file), origin);
  const tag = sshKeyTag(file.publicWire);
  const mightMatch = (stanzas: readonly Stanza[]): boolean => stanzas.some((s) => s.args[0] === file.keyType && s.args[1] === tag);
  return new LockedIdentity(async () => {
    const passphrase = await options.prompter.secret(`Enter passphrase for ${origin}:`);
    return [identityOf(openOpenSshKey(file, passphrase), origin)];
  }, mightMatch);
}

function identityOf(key: OpenSshPrivateKey, origin: string): Identity {
  return key.keyType === "ssh-rsa" ? new SshRsaIdentity(key.parts, origin) : new SshEd25519Identity(key.seed, key.publicKey);
}

/** age identity file lines; consecutive plugin identities of one plugin share one session. */
function parseIdentityLines(text: string, origin: string, options: IdentityFileOptions): Identity[] {
  const out: Identity[] = [];
  const group: { name: string; ids: string[] }[] = [];
  const flush = (): void => {
    for (const g of group.splice(0)) out.push(new PluginIdentity(g.name, g.ids, origin, options.prompter, options.env));
  };
  for (const [i, raw] of text.split("\n").entries()) {
    const t = raw.trim();
    if (t === "" || t.startsWith("#")) continue;
    const where = `${origin}:${i + 1}`;
    if (t.startsWith("AGE-PLUGIN-")) {
      const name = pluginNameOfIdentity(t);
      if (name === null) throw new RekeyError("BAD_KEY", `${where}: invalid plugin identity (not a valid AGE-PLUGIN-<NAME>-1... bech32 string)`, { file: origin });
      const current = group[0];
      if (current !== undefined && current.name === name) current.ids.push(t);
      else {
        flush();
        group.push({ name, ids: [t] });
      }
      continue;
    }
    flush();
    try {
      if (t.startsWith("AGE-SECRET-KEY-PQ-1")) out.push(hybridIdentity(t));
      else if (t.startsWith(AGE_IDENTITY_PREFIX)) out.push(new X25519Identity(decodeX25519Identity(t)));
      else throw new RekeyError("BAD_KEY", "not an age identity (expected AGE-SECRET-KEY-…, AGE-SECRET-KEY-PQ-1..., AGE-PLUGIN-... lines or an OpenSSH private key)");
    } catch (e) {
      throw isRekeyError(e) ? new RekeyError(e.code, `${where}: ${e.message}`, { file: origin }) : e;
    }
  }
  flush();
  if (out.length === 0) throw new RekeyError("BAD_KEY", `${origin}: no identity found in the file`, { file: origin });
  return out;
}

/** The plugin identities among `identities` (not inside encrypted files), for PATH checks. */
export function pluginIdentitiesOf(identities: readonly Identity[]): PluginIdentity[] {
  return identities.filter((i): i is PluginIdentity => i instanceof PluginIdentity);
}
