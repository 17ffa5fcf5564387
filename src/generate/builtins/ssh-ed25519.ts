import { ed25519 } from "@noble/curves/ed25519.js";
import type { Generator } from "../contract.js";
import { encodeOpenSshEd25519PrivateKey, formatOpenSshEd25519PublicKey } from "../openssh-key.js";
import { randomBytes } from "./sampling.js";
import { checkSettings, readSettings } from "./settings.js";

const schema = {
  comment: { type: "string", pattern: /^[^\p{Cc}]{0,1024}$/u, rule: "one line of at most 1024 characters" },
} as const;

/**
 * `ssh-ed25519`: an SSH key pair. The secret is an unencrypted OpenSSH private key file, as
 * `ssh-keygen -t ed25519 -N "" -C COMMENT` writes; the public companion is its `.pub` line.
 * The comment is the setting `comment`, or else the secret's name.
 */
export const sshEd25519: Generator = {
  name: "ssh-ed25519",
  description: "OpenSSH Ed25519 key pair (comment: the secret's name)",
  validate: (settings) => checkSettings("ssh-ed25519", schema, settings),
  generate: (input) => {
    const settings = readSettings("ssh-ed25519", schema, input.settings);
    const comment = settings.comment ?? input.secret;
    const seed = randomBytes(input.random, 32);
    const checkInt = randomBytes(input.random, 4);
    const publicKey = ed25519.getPublicKey(seed);
    const secret = encodeOpenSshEd25519PrivateKey({ seed, publicKey, comment, checkInt });
    seed.fill(0);
    return { secret, public: formatOpenSshEd25519PublicKey(publicKey, comment) };
  },
};
