/**
 * The one entry point: parses the command line, loads the command lazily, and turns errors
 * into exit codes. The only place that calls process.exit.
 *
 * Exit codes: 0 success, 1 an error the user can fix, 2 changes pending
 * (`plan --detailed-exitcode`), 64 usage, 70 internal error.
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { isRekeyError, UsageError } from "../core/errors.js";
import { asksForHelp, findCommandName } from "./argv.js";
import type { CommandContext, CommandSpec, OptionSpec } from "./command.js";
import { COMMANDS, renderHelp, renderCommandHelp, VERSION } from "./help.js";

export const EXIT = { ok: 0, userError: 1, pending: 2, usage: 64, internal: 70 } as const;

interface CommandModule {
  command: CommandSpec;
  run(ctx: CommandContext): Promise<number>;
}

const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  directory: { type: "string", short: "C", description: "run as if started in DIR" },
  json: { type: "boolean", description: "machine-readable output" },
  "no-color": { type: "boolean", description: "no colour or escape codes" },
  help: { type: "boolean", short: "h", description: "show help" },
};

/** Runs rekey with `argv` (without node and the script) and returns the exit code. */
export async function main(argv: readonly string[], io: Pick<CommandContext, "stdin" | "stdout" | "stderr" | "env">): Promise<number> {
  const debug = io.env.REKEY_DEBUG === "1";
  try {
    return await dispatch(argv, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`rekey: ${e.message}\n${e.hint ? `${e.hint}\n` : ""}`);
      return EXIT.usage;
    }
    if (isRekeyError(e)) {
      const where = e.file !== undefined && !e.message.includes(e.file) ? `${e.file}: ` : "";
      io.stderr.write(`error: ${where}${e.message}\n${e.hint ? `hint: ${e.hint}\n` : ""}`);
      if (debug) io.stderr.write(`${e.stack ?? ""}\n`);
      return EXIT.userError;
    }
    const stack = e instanceof Error ? (e.stack ?? e.message) : String(e);
    io.stderr.write(`rekey: internal error (a bug in rekey; please report it with this output):\n${stack}\n`);
    return EXIT.internal;
  }
}

async function dispatch(argv: readonly string[], io: Pick<CommandContext, "stdin" | "stdout" | "stderr" | "env">): Promise<number> {
  const name = findCommandName(argv);
  if (name === undefined) {
    if (argv.includes("--version") || argv.includes("-V")) {
      io.stdout.write(`rekey ${VERSION}\n`);
      return EXIT.ok;
    }
    io.stdout.write(renderHelp());
    return argv.length === 0 || asksForHelp(argv) ? EXIT.ok : EXIT.usage;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (entry === undefined) throw new UsageError(`unknown command '${name}'`, "Run `rekey --help` for the list of commands.");
  const mod = (await entry.load()) as CommandModule;
  const spec = mod.command;
  const options = { ...GLOBAL_OPTIONS, ...spec.options };
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: toParseArgs(options), allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(`${(e as Error).message.split("\n")[0]}`, `Usage: rekey ${spec.usage}   (rekey ${name} --help)`);
  }
  const positionals = parsed.positionals.slice(parsed.positionals.indexOf(name) + 1);
  const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
  if (values.help === true) {
    io.stdout.write(renderCommandHelp(spec, GLOBAL_OPTIONS));
    return EXIT.ok;
  }
  const [min, max] = spec.positionals;
  if (positionals.length < min || positionals.length > max) {
    throw new UsageError(`wrong number of arguments for '${name}'`, `Usage: rekey ${spec.usage}`);
  }
  const stdoutTTY = io.stdout.isTTY === true;
  const color = stdoutTTY && values["no-color"] !== true && (io.env.NO_COLOR ?? "") === "" && io.env.TERM !== "dumb";
  const dir = typeof values.directory === "string" ? values.directory : ".";
  const ctx: CommandContext = {
    ...io,
    cwd: resolve(process.cwd(), dir),
    positionals,
    options: values,
    json: values.json === true,
    color,
    interactive: stdoutTTY && io.stdin.isTTY === true,
  };
  return await mod.run(ctx);
}

function toParseArgs(options: Record<string, OptionSpec>) {
  const out: Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }> = {};
  for (const [k, o] of Object.entries(options)) {
    out[k] = { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.type === "string" && o.multiple ? { multiple: true } : {}) };
  }
  return out;
}
