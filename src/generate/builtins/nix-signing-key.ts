import { ed25519 } from "@noble/curves/ed25519.js";
import { base64 } from "@scure/base";
import type { Generator } from "../contract.js";
import { randomBytes } from "./sampling.js";
import { checkSettings, readSettings } from "./settings.js";

const schema = {
  keyName: {
    type: "string",
    required: true,
    pattern: /^[^\s:]{1,255}$/u,
    rule: "a non-empty key name without ':' or whitespace, e.g. cache.example.org-1",
  },
} as const;

/**
 * `nix-signing-key`: a Nix binary-cache signing key. The secret is `NAME:` + base64 of the
 * 64-byte Ed25519 secret key (seed, then public key), byte for byte what
 * `nix key generate-secret --key-name NAME` prints; the public companion is `NAME:` + base64 of
 * the public key, as `nix key convert-secret-to-public` prints. Like Nix, neither ends in a newline.
 */
export const nixSigningKey: Generator = {
  name: "nix-signing-key",
  description: "Nix store signing key, as nix key generate-secret (keyName: required)",
  validate: (settings) => checkSettings("nix-signing-key", schema, settings),
  generate: (input) => {
    const { keyName } = readSettings("nix-signing-key", schema, input.settings);
    const seed = randomBytes(input.random, 32);
    const publicKey = ed25519.getPublicKey(seed);
    const secretKey = new Uint8Array(64);
    secretKey.set(seed);
    secretKey.set(publicKey, 32);
    const secret = `${keyName}:${base64.encode(secretKey)}`;
    seed.fill(0);
    secretKey.fill(0);
    return { secret, public: `${keyName}:${base64.encode(publicKey)}` };
  },
};
