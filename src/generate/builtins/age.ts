import { x25519 } from "@noble/curves/ed25519.js";
import { bech32 } from "@scure/base";
import type { Generator } from "../contract.js";
import { randomBytes } from "./sampling.js";
import { checkSettings, readSettings } from "./settings.js";

const schema = {} as const;

/**
 * `age`: an age X25519 identity. The secret is an identity file as `age-keygen` writes it,
 * minus the `# created:` line (generators have no clock):
 *
 * ```
 * # public key: age1...
 * AGE-SECRET-KEY-…
 * ```
 *
 * The public companion is the recipient, `age1...\n`.
 */
export const age: Generator = {
  name: "age",
  description: "age X25519 identity, as age-keygen",
  validate: (settings) => checkSettings("age", schema, settings),
  generate: (input) => {
    readSettings("age", schema, input.settings);
    const scalar = randomBytes(input.random, 32);
    const recipient = bech32.encode("age", bech32.toWords(x25519.getPublicKey(scalar)));
    const identity = bech32.encode("age-secret-key-", bech32.toWords(scalar)).toUpperCase();
    scalar.fill(0);
    return { secret: `# public key: ${recipient}\n${identity}\n`, public: `${recipient}\n` };
  },
};
