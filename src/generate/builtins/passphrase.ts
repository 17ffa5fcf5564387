import { wordlist } from "@scure/bip39/wordlists/english.js";
import type { Generator } from "../contract.js";
import { uniformIntegers } from "./sampling.js";
import { checkSettings, readSettings } from "./settings.js";

const schema = {
  words: { type: "integer", default: 6, min: 3, max: 64 },
  separator: { type: "string", default: "-", pattern: /^[^\p{Cc}]{0,16}$/u, rule: "at most 16 characters, no control characters" },
} as const;

/**
 * `passphrase`: `words` (default 6, 3..64) words drawn uniformly from the BIP-39 English list
 * (2048 words, 11 bits each), joined by `separator` (default "-"), with no trailing newline.
 */
export const passphrase: Generator = {
  name: "passphrase",
  description: "words from the BIP-39 English list (words: 6, separator: \"-\")",
  validate: (settings) => checkSettings("passphrase", schema, settings),
  generate: (input) => {
    const { words, separator } = readSettings("passphrase", schema, input.settings);
    const picks = uniformIntegers(input.random, wordlist.length, words);
    return { secret: picks.map((i) => wordlist[i] ?? "").join(separator) };
  },
};
