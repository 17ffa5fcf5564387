/**
 * The two client state machines of C2SP age-plugin.md: `identity-v1` (unwrap the file keys
 * of many files in one session, so one PIN or touch serves them all) and `recipient-v1`
 * (wrap file keys). The plugin controls phase 2; the client answers its requests.
 */
import { base64nopad } from "@scure/base";
import type { Stanza } from "age-encryption";
import { isRekeyError, RekeyError } from "../../core/errors.js";
import type { KeyPrompter } from "../prompter.js";
import { encodeWireStanza, PluginConnection, pluginBinary, type WireStanza } from "./connection.js";

/** What an identity-v1 session returned. */
export interface UnwrapOutcome {
  /** One entry per file: its file key, or null if the plugin sent none. */
  readonly keys: (Uint8Array | null)[];
  /** `error stanza` messages, by file index: those files have a malformed stanza. */
  readonly stanzaErrors: Map<number, string>;
  /** `error identity` and `error internal` messages (e.g. "no YubiKey found"). */
  readonly errors: string[];
  /** Why the last request to the user could not be answered, if one could not. */
  readonly promptFailure: string | null;
}

/** Options shared by both state machines. */
export interface SessionOptions {
  readonly prompter: KeyPrompter;
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Runs one identity-v1 session: every identity, then every stanza of every file (file
 * index = position in `files`), then phase 2 until `done`.
 *
 * @throws RekeyError PLUGIN_FAILED if the plugin is missing, dies or breaks the protocol.
 */
export async function unwrapWithPlugin(name: string, identities: readonly string[], files: readonly (readonly Stanza[])[], options: SessionOptions): Promise<UnwrapOutcome> {
  const conn = PluginConnection.open(name, "identity-v1", options.env);
  try {
    let phase1 = identities.map((id) => encodeWireStanza("add-identity", [id])).join("");
    files.forEach((stanzas, i) => {
      for (const s of stanzas) phase1 += encodeWireStanza("recipient-stanza", [String(i), ...s.args], s.body);
    });
    conn.writeRaw(phase1 + encodeWireStanza("done"));
    const keys: (Uint8Array | null)[] = files.map(() => null);
    const stanzaErrors = new Map<number, string>();
    const errors: string[] = [];
    const ui = new ClientUi(conn, options.prompter);
    for (;;) {
      const s = await conn.read();
      if (s.type === "done") break;
      if (s.type === "file-key") {
        const i = fileIndex(conn, s, files.length);
        if (keys[i] !== null) throw conn.protocolError(`two file keys for file ${i}`);
        if (s.body.length !== 16) throw conn.protocolError("a file key that is not 16 bytes");
        keys[i] = s.body;
        conn.write("ok");
      } else if (s.type === "error") {
        conn.write("ok");
        const text = messageOf(s);
        if (s.args[0] === "stanza") stanzaErrors.set(fileIndex(conn, s, files.length), text);
        else errors.push(text);
      } else await ui.answer(s);
    }
    return { keys, stanzaErrors, errors, promptFailure: ui.promptFailure };
  } finally {
    await conn.close();
  }
}

/**
 * Runs one recipient-v1 session wrapping each file key to the recipient (or to the
 * identity's own recipient when `asIdentity`). Returns the stanzas of each file key.
 *
 * @throws RekeyError PLUGIN_FAILED if the plugin is missing, reports an error, dies, breaks
 * the protocol, or returns no stanza for a file.
 */
export async function wrapWithPlugin(name: string, recipient: string, fileKeys: readonly Uint8Array[], options: SessionOptions & { readonly asIdentity?: boolean }): Promise<WireStanza[][]> {
  const conn = PluginConnection.open(name, "recipient-v1", options.env);
  try {
    let phase1 = encodeWireStanza(options.asIdentity === true ? "add-identity" : "add-recipient", [recipient]);
    for (const k of fileKeys) phase1 += encodeWireStanza("wrap-file-key", [], k);
    conn.writeRaw(phase1 + encodeWireStanza("done"));
    const stanzas: WireStanza[][] = fileKeys.map(() => []);
    const errors: string[] = [];
    const ui = new ClientUi(conn, options.prompter);
    for (;;) {
      const s = await conn.read();
      if (s.type === "done") break;
      if (s.type === "recipient-stanza") {
        const i = fileIndex(conn, s, fileKeys.length);
        const [type, ...args] = s.args.slice(1);
        if (type === undefined) throw conn.protocolError("a recipient-stanza without a stanza type");
        stanzas[i]!.push({ type, args, body: s.body });
        conn.write("ok");
      } else if (s.type === "labels") {
        conn.write("ok");
      } else if (s.type === "error") {
        conn.write("ok");
        errors.push(messageOf(s));
      } else await ui.answer(s);
    }
    if (errors.length > 0 || stanzas.some((f) => f.length === 0)) {
      const why = errors.length > 0 ? errors.join("; ") : "it returned no stanza";
      throw new RekeyError("PLUGIN_FAILED", `${pluginBinary(name)} could not encrypt to ${recipient.slice(0, 24)}...: ${why}${ui.promptFailure === null ? "" : ` (${ui.promptFailure})`}`, {
        hint: `Check the recipient and ${pluginBinary(name)}, then run the command again.`,
      });
    }
    return stanzas;
  } finally {
    await conn.close();
  }
}

function fileIndex(conn: PluginConnection, s: WireStanza, count: number): number {
  const arg = s.args[s.type === "error" ? 1 : 0] ?? "";
  const i = /^(0|[1-9][0-9]*)$/.test(arg) ? Number(arg) : -1;
  if (i < 0 || i >= count) throw conn.protocolError(`bad file index "${arg}" in ${s.type}`);
  return i;
}

function messageOf(s: WireStanza): string {
  const text = new TextDecoder().decode(s.body).trim();
  return text === "" ? `${s.args.join(" ")} error` : text;
}

/** Answers msg, confirm, request-public and request-secret; `unsupported` for anything else. */
class ClientUi {
  promptFailure: string | null = null;
  constructor(private readonly conn: PluginConnection, private readonly prompter: KeyPrompter) {}

  async answer(s: WireStanza): Promise<void> {
    const text = new TextDecoder().decode(s.body);
    const label = `${pluginBinary(this.conn.name)}: ${text}`;
    try {
      if (s.type === "msg") {
        this.prompter.message(label);
        this.conn.write("ok");
      } else if (s.type === "confirm") {
        if (s.args.length !== 1 && s.args.length !== 2) throw this.conn.protocolError("confirm needs one or two arguments");
        const [yes, no] = s.args.map((a) => decodeLabel(this.conn, a));
        const chose = await this.prompter.confirm(label, yes ?? "yes", no);
        this.conn.write("ok", [chose ? "yes" : "no"]);
      } else if (s.type === "request-secret" || s.type === "request-public") {
        const value = s.type === "request-secret" ? await this.prompter.secret(label) : await this.prompter.value(label);
        this.conn.write("ok", [], new TextEncoder().encode(value));
      } else {
        this.conn.write("unsupported");
      }
    } catch (e) {
      if (!isRekeyError(e) || e.code === "PLUGIN_FAILED") throw e;
      if (e.code === "ABORTED") throw e;
      // The plugin decides whether a failed request is fatal (age-plugin.md, phase 2).
      this.promptFailure = e.message;
      this.conn.write("fail");
    }
  }
}

function decodeLabel(conn: PluginConnection, arg: string): string {
  try {
    return new TextDecoder().decode(base64nopad.decode(arg));
  } catch {
    throw conn.protocolError("confirm option is not base64");
  }
}
