/**
 * A connection to an age plugin process (C2SP age-plugin.md, "IPC protocol"): the binary
 * `age-plugin-<name>` from PATH, started with `--age-plugin=<state machine>`, speaking age
 * stanzas over its stdin and stdout. Its stderr is kept (the tail) for error messages.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { base64nopad } from "@scure/base";
import { encodeStanza } from "../header-encode.js";
import { RekeyError } from "../../core/errors.js";

/** One protocol stanza: command (first argument), arguments, body. */
export interface WireStanza {
  readonly type: string;
  readonly args: readonly string[];
  readonly body: Uint8Array;
}

const NAME = /^[a-z0-9][a-z0-9._+-]*$/;
const STDERR_TAIL = 2000;

/** The plugin binary name for a plugin name ("yubikey" gives "age-plugin-yubikey"). */
export function pluginBinary(name: string): string {
  return `age-plugin-${name}`;
}

/** True if the plugin's binary is an executable on `path` (a PATH value). */
export function pluginOnPath(name: string, path: string | undefined): boolean {
  return (path ?? "").split(delimiter).some((dir) => {
    if (dir === "") return false;
    try {
      accessSync(join(dir, pluginBinary(name)), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Encodes a stanza as the age header does: "-> args\n", then 64-column base64 body lines. */
export function encodeWireStanza(type: string, args: readonly string[] = [], body: Uint8Array = new Uint8Array(0)): string {
  return encodeStanza([type, ...args], body);
}

/** The error for a plugin that broke the protocol or died. */
export class PluginMissing extends RekeyError {
  constructor(readonly plugin: string) {
    super("PLUGIN_FAILED", `${pluginBinary(plugin)} was not found on PATH`, { hint: `Install ${pluginBinary(plugin)}, or remove its identity from REKEY_IDENTITY / master.identities.` });
  }
}

/** A running plugin: write stanzas, read stanzas, close. */
export class PluginConnection {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #lines: string[] = [];
  #partial = "";
  #ended = false;
  #wake: (() => void) | null = null;
  #stderr = "";
  #spawnError: NodeJS.ErrnoException | null = null;
  readonly #exited: Promise<{ code: number | null; signal: string | null }>;

  private constructor(readonly name: string, readonly machine: string, env: NodeJS.ProcessEnv) {
    // Plugins must not depend on the working directory (age runs them in the temp dir).
    this.#child = spawn(pluginBinary(name), [`--age-plugin=${machine}`], { cwd: tmpdir(), env, stdio: ["pipe", "pipe", "pipe"] });
    this.#exited = new Promise((resolve) => {
      this.#child.on("error", (e) => {
        this.#spawnError = e;
        this.#end();
        resolve({ code: null, signal: null });
      });
      this.#child.on("close", (code, signal) => resolve({ code, signal }));
    });
    this.#child.stdin.on("error", () => undefined); // EPIPE when the plugin died: reported by read()
    this.#child.stdout.setEncoding("latin1");
    this.#child.stdout.on("data", (chunk: string) => {
      const parts = (this.#partial + chunk).split("\n");
      this.#partial = parts.pop() ?? "";
      this.#lines.push(...parts);
      this.#notify();
    });
    this.#child.stdout.on("end", () => this.#end());
    this.#child.stderr.setEncoding("utf8");
    this.#child.stderr.on("data", (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-STDERR_TAIL);
    });
  }

  /** Starts `age-plugin-<name> --age-plugin=<machine>`. */
  static open(name: string, machine: string, env: NodeJS.ProcessEnv = process.env): PluginConnection {
    if (!NAME.test(name)) throw new RekeyError("BAD_KEY", `invalid age plugin name "${name}"`);
    return new PluginConnection(name, machine, env);
  }

  #end(): void {
    this.#ended = true;
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  /** Sends one stanza. */
  write(type: string, args: readonly string[] = [], body?: Uint8Array): void {
    this.writeRaw(encodeWireStanza(type, args, body));
  }

  /** Sends pre-encoded stanzas. */
  writeRaw(text: string): void {
    if (!this.#child.stdin.destroyed) this.#child.stdin.write(text, "latin1");
  }

  async #line(): Promise<string> {
    for (;;) {
      const line = this.#lines.shift();
      if (line !== undefined) return line;
      if (this.#ended) throw await this.#died();
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  /** Reads the next stanza; throws PLUGIN_FAILED if the plugin ends or sends garbage. */
  async read(): Promise<WireStanza> {
    const first = await this.#line();
    if (!first.startsWith("-> ")) throw this.protocolError(`expected a stanza, got "${first.slice(0, 40)}"`);
    const [type = "", ...args] = first.slice(3).split(" ");
    const chunks: Uint8Array[] = [];
    for (;;) {
      const line = await this.#line();
      if (line.length > 64) throw this.protocolError("stanza body line longer than 64 columns");
      try {
        chunks.push(base64nopad.decode(line));
      } catch {
        throw this.protocolError(`invalid base64 in the body of "${type}"`);
      }
      if (line.length < 64) break;
    }
    return { type, args, body: new Uint8Array(Buffer.concat(chunks)) };
  }

  /** The error for a protocol violation. */
  protocolError(why: string): RekeyError {
    return new RekeyError("PLUGIN_FAILED", `${pluginBinary(this.name)} broke the age plugin protocol (${this.machine}): ${why}`, { hint: `Update or reinstall ${pluginBinary(this.name)}.` });
  }

  async #died(): Promise<RekeyError> {
    const exit = await Promise.race([this.#exited, new Promise<null>((r) => setTimeout(() => r(null), 2000).unref())]);
    const spawnError = this.#spawnError;
    if (spawnError?.code === "ENOENT") return new PluginMissing(this.name);
    if (spawnError !== null) return new RekeyError("PLUGIN_FAILED", `cannot start ${pluginBinary(this.name)}: ${spawnError.message}`);
    const how = exit === null ? "closed its output" : exit.signal !== null ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
    const tail = this.#stderr.trim().split("\n").slice(-3).join(" | ");
    return new RekeyError("PLUGIN_FAILED", `${pluginBinary(this.name)} ${how} in the middle of the ${this.machine} protocol${tail === "" ? "" : `: ${tail}`}`, {
      hint: `Run the command again; if it keeps failing, check ${pluginBinary(this.name)} (and its device) on its own.`,
    });
  }

  /** Closes stdin and waits (briefly) for the plugin to exit; kills it if it lingers. */
  async close(): Promise<void> {
    this.#child.stdin.end();
    const exited = await Promise.race([this.#exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 3000).unref())]);
    if (!exited) this.#child.kill("SIGKILL");
  }
}
