import type { Generator } from "../contract.js";
import { randomString } from "./sampling.js";
import { checkSettings, readSettings } from "./settings.js";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const schema = { length: { type: "integer", default: 32, min: 8, max: 4096 } } as const;

/**
 * `alnum`: a password of `length` (default 32, 8..4096) characters from [A-Za-z0-9], about
 * 5.95 bits each, with no trailing newline.
 */
export const alnum: Generator = {
  name: "alnum",
  description: "random password of letters and digits (length: 32)",
  validate: (settings) => checkSettings("alnum", schema, settings),
  generate: (input) => {
    const { length } = readSettings("alnum", schema, input.settings);
    return { secret: randomString(input.random, ALPHABET, length) };
  },
};
