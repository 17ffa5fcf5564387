/**
 * Plugin identities ("AGE-PLUGIN-<NAME>-1...") and recipients ("age1<name>1..."), handled by
 * `age-plugin-<name>`.
 *
 * A {@link PluginIdentity} is a batch identity: `prepare(headers)` opens ONE identity-v1
 * session for every file a run will decrypt and caches the file keys, so one PIN entry or
 * touch serves the whole run. `unwrapFileKey` then answers from the cache (or, for a file it
 * was not prepared for, opens a session for that file alone).
 */
import { bech32 } from "@scure/base";
import type { Identity, Recipient } from "age-encryption";
import { Stanza } from "../stanza.js";
import { RekeyError } from "../../core/errors.js";
import type { KeyPrompter } from "../prompter.js";
import { pluginBinary, PluginMissing } from "./connection.js";
import { unwrapWithPlugin, wrapWithPlugin } from "./sessions.js";

/** An identity that can unwrap many files at once. */
export interface BatchIdentity extends Identity {
  /** Unwraps, ahead of time and in as few sessions as possible, the file keys of these headers. */
  prepare(headers: readonly (readonly Stanza[])[]): Promise<void>;
}

/** True for identities with a `prepare` batch method. */
export function isBatchIdentity(i: Identity): i is BatchIdentity {
  return typeof (i as Partial<BatchIdentity>).prepare === "function";
}

/** The plugin name of "AGE-PLUGIN-YUBIKEY-1..." ("yubikey"), or null if the text is not a valid plugin identity. */
export function pluginNameOfIdentity(text: string): string | null {
  const prefix = bech32Prefix(text)?.toUpperCase() ?? null;
  if (prefix === null || text !== text.toUpperCase() || !prefix.startsWith("AGE-PLUGIN-") || !prefix.endsWith("-")) return null;
  const name = prefix.slice("AGE-PLUGIN-".length, -1).toLowerCase();
  return name === "" ? null : name;
}

/** The plugin name of "age1yubikey1..." ("yubikey"), or null if the text is not a plugin recipient. */
export function pluginNameOfRecipient(text: string): string | null {
  const prefix = bech32Prefix(text);
  if (prefix === null || text !== text.toLowerCase() || !prefix.startsWith("age1") || prefix.length <= 4) return null;
  return prefix.slice(4);
}

function bech32Prefix(text: string): string | null {
  try {
    return bech32.decode(text as `${string}1${string}`, false).prefix;
  } catch {
    return null;
  }
}

function headerKey(stanzas: readonly Stanza[]): string {
  return stanzas.map((s) => `${s.args.join(" ")}\n${Buffer.from(s.body).toString("base64")}`).join("\n");
}

/** One or more identities of one plugin, from one identity file. */
export class PluginIdentity implements BatchIdentity {
  readonly #cache = new Map<string, Uint8Array | null | RekeyError>();
  #unavailable = false;
  /** How many identity-v1 sessions this identity opened (for tests and diagnostics). */
  sessions = 0;

  /**
   * @param name - the plugin name; @param identities - its AGE-PLUGIN-... strings;
   * @param origin - the identity file, for messages; @param prompter - answers the plugin.
   */
  constructor(readonly name: string, readonly identities: readonly string[], readonly origin: string, private readonly prompter: KeyPrompter, private readonly env?: NodeJS.ProcessEnv) {}

  /** See {@link BatchIdentity.prepare}: one session for every header not seen yet. */
  async prepare(headers: readonly (readonly Stanza[])[]): Promise<void> {
    if (this.#unavailable) return;
    const todo = new Map<string, readonly Stanza[]>();
    for (const h of headers) {
      const key = headerKey(h);
      if (!this.#cache.has(key)) todo.set(key, h);
    }
    if (todo.size === 0) return;
    const files = [...todo.values()];
    this.sessions++;
    let outcome;
    try {
      outcome = await unwrapWithPlugin(this.name, this.identities, files, { prompter: this.prompter, ...(this.env === undefined ? {} : { env: this.env }) });
    } catch (e) {
      if (!(e instanceof PluginMissing)) throw e;
      return this.#skip(`${pluginBinary(this.name)} was not found on PATH`);
    }
    const found = outcome.keys.some((k) => k !== null);
    if (!found && (outcome.errors.length > 0 || outcome.promptFailure !== null)) {
      // An absent device or an unanswered PIN request: try the next identity, as age would with -i order.
      return this.#skip([...outcome.errors, ...(outcome.promptFailure === null ? [] : [outcome.promptFailure])].join("; "));
    }
    for (const e of outcome.errors) this.prompter.message(`notice: ${pluginBinary(this.name)} (${this.origin}): ${e}`);
    [...todo.keys()].forEach((key, i) => {
      const stanzaError = outcome.stanzaErrors.get(i);
      this.#cache.set(
        key,
        stanzaError !== undefined ? new RekeyError("NOT_AGE_FILE", `invalid age header: ${pluginBinary(this.name)} rejected a stanza (${stanzaError})`) : (outcome.keys[i] ?? null),
      );
    });
  }

  #skip(why: string): void {
    this.#unavailable = true;
    this.prompter.message(`notice: skipping master identity ${this.origin} (${pluginBinary(this.name)}): ${why}`);
  }

  /** The cached file key for these stanzas (a one-file session if not prepared); null if not ours. */
  async unwrapFileKey(stanzas: Stanza[]): Promise<Uint8Array | null> {
    const key = headerKey(stanzas);
    if (!this.#cache.has(key)) await this.prepare([stanzas]);
    const hit = this.#cache.get(key);
    if (hit instanceof RekeyError) throw hit;
    return hit ?? null;
  }
}

/** A plugin recipient: one recipient-v1 session per wrapped file key. */
export class PluginRecipient implements Recipient {
  constructor(readonly name: string, readonly recipient: string, private readonly prompter: KeyPrompter, private readonly options: { readonly asIdentity?: boolean; readonly env?: NodeJS.ProcessEnv } = {}) {}

  /** Wraps the file key through the plugin. */
  async wrapFileKey(fileKey: Uint8Array): Promise<Stanza[]> {
    const [stanzas = []] = await wrapWithPlugin(this.name, this.recipient, [fileKey], { prompter: this.prompter, ...this.options });
    return stanzas.map((s) => new Stanza([s.type, ...s.args], s.body));
  }
}
