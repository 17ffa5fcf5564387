/**
 * Builds unencrypted OpenSSH ed25519 key pairs in memory (openssh-key-v1, PROTOCOL.key), so
 * property tests can use many ssh keys without spawning ssh-keygen.
 */
import { randomBytes } from "node:crypto";
import { ed25519 } from "@noble/curves/ed25519.js";

function sshString(data: Uint8Array | string): Buffer {
  const bytes = typeof data === "string" ? Buffer.from(data) : Buffer.from(data);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(bytes.length);
  return Buffer.concat([len, bytes]);
}

/** A fresh ed25519 key: the OpenSSH private key text and the public key line. */
export function makeSshEd25519Key(comment = "test"): { readonly privateKey: string; readonly publicKey: string } {
  // Not generateKeyPairSync, which can deadlock Node 20 under GC (see bench/workload.ts); the
  // public key comes from @noble, independently of the OpenSSL code under test.
  const seed = randomBytes(32);
  const point = ed25519.getPublicKey(seed);
  const wire = Buffer.concat([sshString("ssh-ed25519"), sshString(point)]);
  const check = Buffer.from([1, 2, 3, 4]);
  let priv = Buffer.concat([check, check, sshString("ssh-ed25519"), sshString(point), sshString(Buffer.concat([seed, point])), sshString(comment)]);
  const pad = Buffer.from(Array.from({ length: (8 - (priv.length % 8)) % 8 }, (_, i) => i + 1));
  priv = Buffer.concat([priv, pad]);
  const one = Buffer.from([0, 0, 0, 1]);
  const blob = Buffer.concat([Buffer.from("openssh-key-v1\0"), sshString("none"), sshString("none"), sshString(""), one, sshString(wire), sshString(priv)]);
  const body = blob.toString("base64").replace(/.{70}/g, "$&\n");
  return {
    privateKey: `-----BEGIN OPENSSH PRIVATE KEY-----\n${body}\n-----END OPENSSH PRIVATE KEY-----\n`,
    publicKey: `ssh-ed25519 ${wire.toString("base64")} ${comment}`,
  };
}
