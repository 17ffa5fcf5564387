import { encodeBase64, hashSync } from "bcryptjs";
import type { Generator, GeneratorInput } from "../contract.js";
import { randomBytes } from "./sampling.js";
import { checkSettings, readSettings } from "./settings.js";

const schema = {
  user: { type: "string", required: true, pattern: /^[^\s:]{1,255}$/u, rule: "a user name without ':' or whitespace" },
  dependency: { type: "string", pattern: /^.+$/u, rule: "the name of a declared dependency" },
  cost: { type: "integer", default: 10, min: 4, max: 14 },
} as const;

/** bcrypt reads at most 72 bytes of a password; longer ones would be silently cut. */
const BCRYPT_MAX_BYTES = 72;

/** The plaintext of the dependency that holds the password, chosen as the `dependency` setting says. */
function passwordOf(input: GeneratorInput, named: string | undefined): string {
  const names = [...input.dependencies.keys()].sort();
  const chosen = named ?? (names.length === 1 ? names[0] : undefined);
  if (chosen === undefined) {
    throw new Error(
      names.length === 0
        ? `htpasswd needs the password as a dependency: declare e.g. "dependencies: [${input.secret}-password]" for ${input.secret}`
        : `htpasswd has several dependencies (${names.join(", ")}): set "dependency" to the one that holds the password`,
    );
  }
  const bytes = input.dependencies.get(chosen);
  if (bytes === undefined) throw new Error(`htpasswd: "${chosen}" is not a declared dependency of ${input.secret} (declared: ${names.join(", ") || "none"})`);
  // Like `htpasswd -i`, the password is the first line: one trailing newline is not part of it.
  const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes).replace(/\r?\n$/u, "");
  if (text === "" || text.includes("\n")) throw new Error(`htpasswd: the password in ${chosen} must be one non-empty line`);
  if (new TextEncoder().encode(text).length > BCRYPT_MAX_BYTES) {
    throw new Error(`htpasswd: the password in ${chosen} is longer than ${BCRYPT_MAX_BYTES} bytes, which bcrypt would silently truncate`);
  }
  return text;
}

/**
 * `htpasswd`: one Apache htpasswd line, `user:$2y$10$...` + "\n", as `htpasswd -nbB -C COST`
 * prints. The password is the plaintext of a dependency: `dependency` names it, or the secret's
 * only dependency is used. Settings: `user` (required), `dependency`, `cost` (default 10, 4..14).
 */
export const htpasswd: Generator = {
  name: "htpasswd",
  description: "bcrypt htpasswd line from a password dependency (user: required, cost: 10)",
  validate: (settings) => checkSettings("htpasswd", schema, settings),
  generate: (input) => {
    const { user, dependency, cost } = readSettings("htpasswd", schema, input.settings);
    const password = passwordOf(input, dependency);
    const salt = encodeBase64(randomBytes(input.random, 16), 16);
    const hash = hashSync(password, `$2y$${String(cost).padStart(2, "0")}$${salt}`);
    return { secret: `${user}:${hash}\n` };
  },
};
