import { x25519 } from "@noble/curves/ed25519.js";
import { base64 } from "@scure/base";
import type { Generator } from "../contract.js";
import { randomBytes } from "./sampling.js";
import { checkSettings, readSettings } from "./settings.js";

const schema = {} as const;

/**
 * `wireguard`: a WireGuard key pair. The secret is the base64 of a clamped X25519 private key
 * plus "\n", as `wg genkey` prints; the public companion is its key plus "\n", as `wg pubkey` prints.
 */
export const wireguard: Generator = {
  name: "wireguard",
  description: "WireGuard key pair, as wg genkey | wg pubkey",
  validate: (settings) => checkSettings("wireguard", schema, settings),
  generate: (input) => {
    readSettings("wireguard", schema, input.settings);
    const key = randomBytes(input.random, 32).slice();
    // Clamp as wg genkey does (RFC 7748), so the stored key is already canonical.
    key[0] = (key[0] ?? 0) & 248;
    key[31] = ((key[31] ?? 0) & 127) | 64;
    const publicKey = x25519.getPublicKey(key);
    const secret = `${base64.encode(key)}\n`;
    key.fill(0);
    return { secret, public: `${base64.encode(publicKey)}\n` };
  },
};
