/**
 * The OpenSSH private key format (OpenSSH private key PEM, openssh-key-v1,
 * see OpenSSH PROTOCOL.key). Only unencrypted ssh-ed25519 keys are supported.
 */
import { RekeyError } from "../core/errors.js";
import { ed25519PublicKeyOf } from "./primitives.js";
import { checkEd25519Point, sshEd25519Key, WireReader, type SshEd25519PublicKey } from "./ssh-key.js";
import { OPENSSH_PRIVATE_BEGIN } from "./key-markers.js";

/** An unencrypted OpenSSH ed25519 private key. */
export interface SshEd25519PrivateKey {
  /** The 32-byte Ed25519 seed (the first half of OpenSSH's 64-byte private part). */
  readonly seed: Uint8Array;
  readonly publicKey: SshEd25519PublicKey;
}

const BEGIN = OPENSSH_PRIVATE_BEGIN;
const END = "-----END OPENSSH PRIVATE KEY-----";
const MAGIC = "openssh-key-v1\0";

/** True if the text contains an OpenSSH private key block. */
export function isOpenSshPrivateKey(text: string): boolean {
  return text.includes(BEGIN);
}

/** True if the text is some other PEM private key (RSA, EC, PKCS #8...). */
export function isOtherPemPrivateKey(text: string): boolean {
  return /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(text) && !isOpenSshPrivateKey(text);
}

/**
 * Parses an OpenSSH private key. Throws ENCRYPTED_KEY for a passphrase-protected key,
 * UNSUPPORTED_KEY_TYPE for a non-ed25519 key and BAD_KEY for anything malformed.
 * `origin` names the file in messages.
 */
export function parseOpenSshPrivateKey(pem: string, origin: string): SshEd25519PrivateKey {
  const bad = (why: string): RekeyError =>
    new RekeyError("BAD_KEY", `${origin}: invalid OpenSSH private key (${why})`, { file: origin });
  const start = pem.indexOf(BEGIN);
  const end = pem.indexOf(END, start);
  if (start < 0 || end < 0) throw bad("missing BEGIN/END lines");
  const b64 = pem.slice(start + BEGIN.length, end).replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) throw bad("bad base64");
  const bytes = new Uint8Array(Buffer.from(b64, "base64"));
  if (Buffer.from(bytes.subarray(0, MAGIC.length)).toString("latin1") !== MAGIC) throw bad("not openssh-key-v1");
  const r = new WireReader(bytes.subarray(MAGIC.length), `${origin}: OpenSSH private key`);
  const cipher = r.text();
  const kdf = r.text();
  r.string(); // kdf options
  if (cipher !== "none" || kdf !== "none") {
    throw new RekeyError("ENCRYPTED_KEY", `${origin}: passphrase-protected keys are not supported yet`, {
      file: origin,
      hint: "Use an unencrypted copy of the key (ssh-keygen -p -N \"\" on a copy in a safe place), or an age identity.",
    });
  }
  if (r.uint32() !== 1) throw bad("expected exactly one key");
  const publicBlob = new WireReader(r.string(), `${origin}: public key`);
  const type = publicBlob.text();
  if (type !== "ssh-ed25519") {
    throw new RekeyError("UNSUPPORTED_KEY_TYPE", `${origin}: unsupported SSH key type ${type}: only ssh-ed25519 keys are supported`, { file: origin });
  }
  const priv = new WireReader(r.string(), `${origin}: private section`);
  if (priv.uint32() !== priv.uint32()) throw bad("check integers differ");
  if (priv.text() !== "ssh-ed25519") throw bad("private key type differs from the public key");
  const point = priv.string();
  const secret = priv.string();
  const outerPoint = publicBlob.string();
  if (point.length !== 32 || secret.length !== 64) throw bad("wrong ed25519 key sizes");
  // OpenSSH stores seed || public key; all three copies of the public key must agree.
  if (!equal(secret.subarray(32), point) || !equal(point, outerPoint)) throw bad("public key mismatch");
  checkEd25519Point(point, `${origin}: invalid OpenSSH private key`);
  const seed = secret.slice(0, 32);
  if (!equal(ed25519PublicKeyOf(seed), point)) throw bad("the private key does not match its public key");
  return { seed, publicKey: sshEd25519Key(point) };
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
