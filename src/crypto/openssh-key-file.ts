/**
 * OpenSSH private key files of any supported type (ssh-ed25519, ssh-rsa), unencrypted or
 * passphrase-protected as `ssh-keygen -N` writes them: bcrypt_pbkdf, then AES (CTR, CBC or
 * GCM). See OpenSSH PROTOCOL.key. The public key is in clear, so it is known before any
 * passphrase is asked.
 */
import { createDecipheriv } from "node:crypto";
import { RekeyError } from "../core/errors.js";
import { bcryptPbkdf } from "./bcrypt-pbkdf.js";
import { ed25519PublicKeyOf } from "./primitives.js";
import { checkEd25519Point, sshEd25519Key, WireReader, type SshEd25519PublicKey } from "./ssh-key.js";
import type { SshRsaPrivateParts } from "./ssh-rsa.js";
import { OPENSSH_PRIVATE_BEGIN } from "./key-markers.js";

const BEGIN = OPENSSH_PRIVATE_BEGIN;
const END = "-----END OPENSSH PRIVATE KEY-----";
const MAGIC = "openssh-key-v1\0";

/** Cipher name to Node cipher, key and IV sizes, and GCM tag size. */
const CIPHERS: Record<string, { node: string; key: number; iv: number; tag: number }> = {
  "aes256-ctr": { node: "aes-256-ctr", key: 32, iv: 16, tag: 0 },
  "aes192-ctr": { node: "aes-192-ctr", key: 24, iv: 16, tag: 0 },
  "aes128-ctr": { node: "aes-128-ctr", key: 16, iv: 16, tag: 0 },
  "aes256-cbc": { node: "aes-256-cbc", key: 32, iv: 16, tag: 0 },
  "aes192-cbc": { node: "aes-192-cbc", key: 24, iv: 16, tag: 0 },
  "aes128-cbc": { node: "aes-128-cbc", key: 16, iv: 16, tag: 0 },
  "aes256-gcm@openssh.com": { node: "aes-256-gcm", key: 32, iv: 12, tag: 16 },
  "aes128-gcm@openssh.com": { node: "aes-128-gcm", key: 16, iv: 12, tag: 16 },
};

/** The clear parts of an OpenSSH private key file. */
export interface OpenSshKeyFile {
  readonly origin: string;
  /** "ssh-ed25519" or "ssh-rsa" (other types are refused when read). */
  readonly keyType: string;
  /** The public key's wire blob. */
  readonly publicWire: Uint8Array;
  readonly encrypted: boolean;
  readonly cipher: string;
  readonly kdfOptions: Uint8Array;
  /** The private section, still encrypted when `encrypted` (GCM tag appended). */
  readonly sealed: Uint8Array;
}

/** A decrypted private key. */
export type OpenSshPrivateKey =
  | { readonly keyType: "ssh-ed25519"; readonly seed: Uint8Array; readonly publicKey: SshEd25519PublicKey }
  | { readonly keyType: "ssh-rsa"; readonly parts: SshRsaPrivateParts };

function bad(origin: string, why: string): RekeyError {
  return new RekeyError("BAD_KEY", `${origin}: invalid OpenSSH private key (${why})`, { file: origin });
}

/** Reads the clear structure; throws UNSUPPORTED_KEY_TYPE for other key types or ciphers, BAD_KEY if malformed. */
export function readOpenSshKeyFile(pem: string, origin: string): OpenSshKeyFile {
  const start = pem.indexOf(BEGIN);
  const end = pem.indexOf(END, start);
  if (start < 0 || end < 0) throw bad(origin, "missing BEGIN/END lines");
  const b64 = pem.slice(start + BEGIN.length, end).replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) throw bad(origin, "bad base64");
  const bytes = new Uint8Array(Buffer.from(b64, "base64"));
  if (Buffer.from(bytes.subarray(0, MAGIC.length)).toString("latin1") !== MAGIC) throw bad(origin, "not openssh-key-v1");
  const r = new WireReader(bytes.subarray(MAGIC.length), `${origin}: OpenSSH private key`);
  const cipher = r.text();
  const kdf = r.text();
  const kdfOptions = r.string();
  if (r.uint32() !== 1) throw bad(origin, "expected exactly one key");
  const publicWire = r.string();
  const keyType = new WireReader(publicWire, `${origin}: public key`).text();
  if (keyType !== "ssh-ed25519" && keyType !== "ssh-rsa") {
    throw new RekeyError("UNSUPPORTED_KEY_TYPE", `${origin}: unsupported SSH key type ${keyType}: only ssh-ed25519 and ssh-rsa keys are supported`, { file: origin });
  }
  const encrypted = cipher !== "none";
  if (encrypted !== (kdf !== "none") || (encrypted && kdf !== "bcrypt")) throw bad(origin, `unsupported kdf ${kdf}`);
  if (encrypted && CIPHERS[cipher] === undefined) {
    throw new RekeyError("UNSUPPORTED_KEY_TYPE", `${origin}: unsupported OpenSSH key cipher ${cipher}`, {
      file: origin,
      hint: `Re-encrypt the key with the default cipher: ssh-keygen -p -Z aes256-ctr -f ${origin}`,
    });
  }
  const section = r.string();
  const tag = encrypted ? r.raw(CIPHERS[cipher]!.tag) : new Uint8Array(0);
  return { origin, keyType, publicWire, encrypted, cipher, kdfOptions, sealed: new Uint8Array(Buffer.concat([section, tag])) };
}

/**
 * Decrypts (if needed) and parses the private section.
 *
 * @throws RekeyError WRONG_PASSPHRASE when the check integers differ after decryption, BAD_KEY
 * for a malformed key.
 */
export function openOpenSshKey(file: OpenSshKeyFile, passphrase?: string): OpenSshPrivateKey {
  const { origin } = file;
  let section = file.sealed;
  if (file.encrypted) {
    if (passphrase === undefined) throw new Error("openOpenSshKey: a passphrase is required");
    section = decryptSection(file, passphrase);
  }
  const p = new WireReader(section, `${origin}: private section`);
  if (p.uint32() !== p.uint32()) {
    if (file.encrypted) throw new RekeyError("WRONG_PASSPHRASE", `${origin}: wrong passphrase`, { file: origin, hint: "Run the command again and type the key's passphrase (check REKEY_ASKPASS if it is set)." });
    throw bad(origin, "check integers differ");
  }
  if (p.text() !== file.keyType) throw bad(origin, "private key type differs from the public key");
  if (file.keyType === "ssh-rsa") {
    const parts = { n: p.string(), e: p.string(), d: p.string(), iqmp: p.string(), p: p.string(), q: p.string() };
    return { keyType: "ssh-rsa", parts };
  }
  const point = p.string();
  const secret = p.string();
  const outer = new WireReader(file.publicWire, `${origin}: public key`);
  outer.text();
  const outerPoint = outer.string();
  if (point.length !== 32 || secret.length !== 64) throw bad(origin, "wrong ed25519 key sizes");
  if (!equal(secret.subarray(32), point) || !equal(point, outerPoint)) throw bad(origin, "public key mismatch");
  checkEd25519Point(point, `${origin}: invalid OpenSSH private key`);
  const seed = secret.slice(0, 32);
  if (!equal(ed25519PublicKeyOf(seed), point)) throw bad(origin, "the private key does not match its public key");
  return { keyType: "ssh-ed25519", seed, publicKey: sshEd25519Key(point) };
}

function decryptSection(file: OpenSshKeyFile, passphrase: string): Uint8Array {
  const spec = CIPHERS[file.cipher]!;
  const opts = new WireReader(file.kdfOptions, `${file.origin}: kdf options`);
  const salt = opts.string();
  const rounds = opts.uint32();
  if (rounds < 1 || rounds > 1 << 20) throw bad(file.origin, "unreasonable bcrypt rounds");
  const km = bcryptPbkdf(new TextEncoder().encode(passphrase), salt, spec.key + spec.iv, rounds);
  const body = file.sealed.subarray(0, file.sealed.length - spec.tag);
  const d = createDecipheriv(spec.node, km.subarray(0, spec.key), km.subarray(spec.key));
  d.setAutoPadding(false);
  if (spec.tag > 0) (d as unknown as { setAuthTag(t: Uint8Array): void }).setAuthTag(file.sealed.subarray(body.length));
  try {
    return new Uint8Array(Buffer.concat([d.update(body), d.final()]));
  } catch {
    // GCM authenticates: a failure is a wrong passphrase (or a corrupted file).
    throw new RekeyError("WRONG_PASSPHRASE", `${file.origin}: wrong passphrase`, { file: file.origin });
  } finally {
    km.fill(0);
  }
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
