/**
 * ssh-to-age: the SSH-ed25519 to X25519 key conversion of Mic92/ssh-to-age (used by
 * sops-nix), byte-identical to it.
 *
 * The secret key is SHA-512(seed)[:32] as-is: NOT clamped (ssh-to-age does not clamp, and
 * X25519 clamps when it uses the scalar, so both forms decrypt the same files, but only the
 * unclamped string matches ssh-to-age's output).
 */
import { parseOpenSshPrivateKey } from "./openssh-private-key.js";
import { parseSshPublicKey } from "./ssh-key.js";
import { ed25519PointToX25519, ed25519SeedToX25519 } from "./ssh-ed25519.js";
import { encodeX25519Identity, encodeX25519Recipient } from "./x25519.js";

/**
 * Converts one public key line (authorized_keys, known_hosts "host,ip ssh-ed25519 AAAA...",
 * or ssh-keyscan output) to an "age1..." recipient.
 *
 * @throws RekeyError UNSUPPORTED_KEY_TYPE for other key types, BAD_KEY for a broken key.
 */
export function sshPublicKeyToAge(line: string): string {
  return encodeX25519Recipient(ed25519PointToX25519(parseSshPublicKey(line).point));
}

/**
 * Converts an unencrypted OpenSSH ed25519 private key to an "AGE-SECRET-KEY-…" identity.
 * `origin` (a path) prefixes error messages.
 *
 * @throws RekeyError ENCRYPTED_KEY, UNSUPPORTED_KEY_TYPE or BAD_KEY.
 */
export function sshPrivateKeyToAge(pem: string, origin = "private key"): string {
  return encodeX25519Identity(ed25519SeedToX25519(parseOpenSshPrivateKey(pem, origin).seed));
}
