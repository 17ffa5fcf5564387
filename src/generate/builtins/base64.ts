import { base64 as base64Codec } from "@scure/base";
import type { Generator } from "../contract.js";
import { randomBytes } from "./sampling.js";
import { checkSettings, readSettings } from "./settings.js";

const schema = { bytes: { type: "integer", default: 32, min: 8, max: 4096 } } as const;

/** `base64`: `bytes` (default 32, 8..4096) random bytes as standard, padded base64, with no trailing newline. */
export const base64: Generator = {
  name: "base64",
  description: "random bytes as standard padded base64 (bytes: 32)",
  validate: (settings) => checkSettings("base64", schema, settings),
  generate: (input) => {
    const { bytes } = readSettings("base64", schema, input.settings);
    return { secret: base64Codec.encode(randomBytes(input.random, bytes)) };
  },
};
