import { hex as hexCodec } from "@scure/base";
import type { Generator } from "../contract.js";
import { randomBytes } from "./sampling.js";
import { checkSettings, readSettings } from "./settings.js";

const schema = { bytes: { type: "integer", default: 32, min: 8, max: 4096 } } as const;

/** `hex`: `bytes` (default 32, 8..4096) random bytes as lowercase hex, with no trailing newline. */
export const hex: Generator = {
  name: "hex",
  description: "random bytes as lowercase hex (bytes: 32)",
  validate: (settings) => checkSettings("hex", schema, settings),
  generate: (input) => {
    const { bytes } = readSettings("hex", schema, input.settings);
    return { secret: hexCodec.encode(randomBytes(input.random, bytes)) };
  },
};
