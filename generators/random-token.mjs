// A user generator plugin: an API token such as `tok_3hQ9xL...`.
//
// The contract, in short. A plugin is generators/<name>.mjs (or .js, or .ts) whose default
// export (or named export `generator`) is an object with:
//   name        optional; if present it must equal the file name ("random-token")
//   description optional; one line for `rekey generate --help`
//   validate    optional; (settings) => string[], the problems with the manifest's settings
//   generate    (input) => { secret, public? } or a Promise of it; strings or Uint8Arrays
// where input is { secret, settings, random, dependencies, hosts }:
//   secret        the secret's name, e.g. "api/token"
//   settings      the manifest's settings without `name`, e.g. { prefix: "tok_", length: 40 }
//   random(n)     n cryptographically secure random bytes: the only randomness to use
//   dependencies  Map of a dependency's name to its decrypted bytes
//   hosts         the hosts that receive the secret, sorted
// A generator must not write files or print: plaintext stays in memory. Keep it fast (30 s max).
//
// Use it in a host manifest:
//   api/token:
//     generator: {name: random-token, prefix: "tok_", length: 40}

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/**
 * @typedef {{ prefix?: unknown, length?: unknown }} Settings
 * @typedef {{ secret: string, settings: Settings, random: (n: number) => Uint8Array }} Input
 */

/** @param {Settings} settings @returns {string[]} */
function validate(settings) {
  const problems = [];
  for (const key of Object.keys(settings)) {
    if (key !== "prefix" && key !== "length") problems.push(`unknown setting "${key}": random-token accepts only prefix, length`);
  }
  const { prefix = "tok_", length = 32 } = settings;
  if (typeof prefix !== "string" || !/^[A-Za-z0-9_-]{0,16}$/.test(prefix)) {
    problems.push('setting "prefix" must be up to 16 letters, digits, "_" or "-"');
  }
  if (typeof length !== "number" || !Number.isInteger(length) || length < 16 || length > 256) {
    problems.push('setting "length" must be an integer between 16 and 256');
  }
  return problems;
}

/**
 * One uniformly random character of ALPHABET per output character. A byte of 248 or more is
 * thrown away (248 = 4 * 62), so that every character is exactly equally likely.
 * @param {(n: number) => Uint8Array} random @param {number} length
 */
function base62(random, length) {
  let out = "";
  while (out.length < length) {
    for (const byte of random(length - out.length)) {
      if (byte < 248 && out.length < length) out += ALPHABET[byte % 62];
    }
  }
  return out;
}

export default {
  name: "random-token",
  description: "API token: a prefix and base62 characters (prefix: tok_, length: 32)",
  validate,
  /** @param {Input} input */
  generate(input) {
    const problems = validate(input.settings);
    if (problems.length > 0) throw new Error(problems.join("; "));
    const { prefix = "tok_", length = 32 } = input.settings;
    return { secret: `${String(prefix)}${base62(input.random, Number(length))}` };
  },
};
