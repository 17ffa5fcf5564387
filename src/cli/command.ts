/**
 * The contract between the CLI entry point and each command module.
 *
 * Each command lives in src/cli/commands/<name>.ts and is imported lazily by main.ts, so
 * `rekey --help` and `rekey check` load only what they use. A command module exports:
 *
 *   export const command: CommandSpec = { name, summary, usage, options };
 *   export async function run(ctx: CommandContext): Promise<number>;   // the exit code
 *
 * Commands never call process.exit and never print stack traces: they throw RekeyError for
 * anything the user can fix, and main.ts turns errors into exit codes.
 */
import type { Readable, Writable } from "node:stream";
import { QUEUED_LIMIT, whenDrained } from "./backpressure.js";

export type OptionSpec =
  | { readonly type: "boolean"; readonly short?: string; readonly description: string }
  | { readonly type: "string"; readonly short?: string; readonly multiple?: boolean; readonly description: string; readonly valueName?: string };

export interface CommandSpec {
  readonly name: string;
  readonly summary: string;
  /** The usage line after `rekey`, for example `plan [--host H]... [--out FILE]`. */
  readonly usage: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** How many positional arguments are accepted: [min, max]; max may be Infinity. */
  readonly positionals: readonly [number, number];
}

export type OptionValues = Readonly<Record<string, string | boolean | string[] | undefined>>;

export interface CommandIO {
  readonly stdin: Readable & { isTTY?: boolean };
  readonly stdout: Writable & { isTTY?: boolean; columns?: number };
  readonly stderr: Writable & { isTTY?: boolean };
}

export interface CommandContext extends CommandIO {
  /** The directory given with -C, or the working directory. */
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly positionals: readonly string[];
  readonly options: OptionValues;
  /** --json was given: machine output only. */
  readonly json: boolean;
  /** Colour and escape codes are allowed (a TTY, no --no-color, no NO_COLOR). */
  readonly color: boolean;
  /** stdin and stdout are both terminals: prompts and live progress are allowed. */
  readonly interactive: boolean;
}

/** Reads a string option, or undefined. */
export function stringOption(ctx: CommandContext, name: string): string | undefined {
  const v = ctx.options[name];
  return typeof v === "string" ? v : undefined;
}

/** Reads a repeatable string option, always as an array. */
export function listOption(ctx: CommandContext, name: string): string[] {
  const v = ctx.options[name];
  if (Array.isArray(v)) return v;
  return typeof v === "string" ? [v] : [];
}

/** Reads a boolean flag. */
export function flag(ctx: CommandContext, name: string): boolean {
  return ctx.options[name] === true;
}

/** Writes one line to a stream. */
export function writeLine(stream: Writable, line = ""): void {
  stream.write(line + "\n");
}

/**
 * A writer to `out` that waits, once more than `queued` bytes wait in the stream, until it
 * drains (see backpressure.ts): below that, the command goes on while the reader reads.
 */
export function writeWithBackpressure(out: Writable, queued = QUEUED_LIMIT): (text: string) => Promise<void> | undefined {
  return (text) => (out.write(text) ? undefined : whenDrained(out, queued));
}
