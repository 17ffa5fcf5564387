/**
 * `rekey edit SECRET [--input FILE|-]`: creates or changes a source in $VISUAL/$EDITOR
 * (on a tmpfs temp file), or from a file or stdin.
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { Readable } from "node:stream";
import { RekeyError } from "../../core/errors.js";
import { editSource } from "../../ops/edit.js";
import { EditorInterrupted } from "../../ops/editor.js";
import { openRepo } from "../../store/config.js";
import { stringOption, writeLine, type CommandContext, type CommandSpec } from "../command.js";

export const command: CommandSpec = {
  name: "edit",
  summary: "Creates or changes a secret's master-encrypted source in $EDITOR, or from a file or stdin.",
  usage: "edit SECRET [--input FILE|-]",
  positionals: [1, 1],
  options: {
    input: { type: "string", short: "i", valueName: "FILE|-", description: "take the new content from FILE, or stdin for '-' (no editor)" },
  },
};

const SIGNAL_EXIT = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 } as const;

export async function run(ctx: CommandContext): Promise<number> {
  const name = ctx.positionals[0]!;
  const input = stringOption(ctx, "input");
  const repo = openRepo(ctx.cwd);
  try {
    const result = await editSource({
      repo,
      name,
      env: ctx.env,
      interactive: ctx.interactive,
      notice: (line) => writeLine(ctx.stderr, line),
      ...(input === undefined ? {} : { input: () => readInput(ctx, input) }),
    });
    const message = {
      created: `Created ${result.file}, encrypted to the master recipients.`,
      updated: `Updated ${result.file}. Run \`rekey apply\` to rekey the outputs made from it.`,
      unchanged: `${result.file} is unchanged; nothing was written.`,
    }[result.outcome];
    if (ctx.json) writeLine(ctx.stdout, JSON.stringify({ format_version: 1, secret: name, file: result.file, outcome: result.outcome }));
    else writeLine(ctx.stderr, message);
    if (input !== undefined && input !== "-" && result.outcome !== "unchanged") writeLine(ctx.stderr, `note: ${input} still holds the plaintext; delete it when you are done.`);
    return 0;
  } catch (e) {
    if (!(e instanceof EditorInterrupted)) throw e;
    writeLine(ctx.stderr, `Interrupted (${e.signal}): the temp file was removed and nothing was written.`);
    return SIGNAL_EXIT[e.signal];
  }
}

async function readInput(ctx: CommandContext, input: string): Promise<Uint8Array> {
  if (input === "-") return readStream(ctx.stdin);
  try {
    return new Uint8Array(await readFile(resolve(ctx.cwd, input)));
  } catch (e) {
    throw new RekeyError("IO", `cannot read ${input}: ${(e as Error).message}`, { file: input, hint: "Pass an existing file to --input, or '-' for stdin." });
  }
}

async function readStream(stream: Readable): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  return new Uint8Array(Buffer.concat(chunks));
}
