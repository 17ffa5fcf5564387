/**
 * The generator contract. A generator is a module (built in, or generators/<name>.{ts,mjs,js}
 * in the user's repository) whose default export, or named export `generator`, is a
 * {@link Generator}. rekey calls it for a secret whose source does not exist yet (or with
 * `--force`), encrypts what it returns to the master recipients, and writes it to
 * secrets/<name>.age (and the public companion to secrets/<name>.pub).
 *
 * Plaintext stays in memory: a generator must not write files or print to stdout.
 */

/** What a generator receives. */
export interface GeneratorInput {
  /** The secret's name, e.g. `web/htpasswd`. */
  readonly secret: string;
  /** The settings from the manifest, e.g. `{ words: 6 }` for `{name: passphrase, words: 6}`, without `name`. */
  readonly settings: Readonly<Record<string, unknown>>;
  /** Cryptographically secure random bytes. */
  readonly random: (length: number) => Uint8Array;
  /** The decrypted plaintext of each declared dependency, by secret name. */
  readonly dependencies: ReadonlyMap<string, Uint8Array>;
  /** The hosts that receive the secret, sorted. */
  readonly hosts: readonly string[];
}

/** What a generator returns: the secret, and optionally a public companion. */
export interface GeneratorOutput {
  readonly secret: Uint8Array | string;
  readonly public?: Uint8Array | string;
}

/** A generator plugin. */
export interface Generator {
  readonly name: string;
  /** One line for `rekey generate --help` and docs. */
  readonly description?: string;
  /**
   * Checks the settings before anything runs; returns a list of problems (empty when fine).
   * Optional for user plugins.
   */
  readonly validate?: (settings: Readonly<Record<string, unknown>>) => string[];
  readonly generate: (input: GeneratorInput) => GeneratorOutput | Promise<GeneratorOutput>;
}
