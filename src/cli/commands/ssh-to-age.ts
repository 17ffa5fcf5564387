/**
 * `rekey ssh-to-age [--private-key] [FILE|-]`: ssh-ed25519 keys to age keys, byte-identical to
 * Mic92/ssh-to-age.
 *
 *   $ ssh-keyscan web1 | rekey ssh-to-age
 *   line 1: skipped ssh-rsa key (only ssh-ed25519 converts)
 *   age1hjm3aujg9e79f5yth8a2cejzdjg5n9vnu96l05p70uvfpeltnpms7yy3pp
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { Readable } from "node:stream";
import { isRekeyError, RekeyError } from "../../core/errors.js";
import { sshPrivateKeyToAge, sshPublicKeyToAge } from "../../crypto/index.js";
import { flag, writeLine, type CommandContext, type CommandSpec } from "../command.js";

export const command: CommandSpec = {
  name: "ssh-to-age",
  summary: "Converts ssh-ed25519 public keys to age1... recipients, or a private key to AGE-SECRET-KEY-…",
  usage: "ssh-to-age [--private-key] [FILE|-]",
  positionals: [0, 1],
  options: {
    "private-key": { type: "boolean", description: "convert an OpenSSH ed25519 private key to an age identity" },
  },
};

/** One converted or rejected input line. */
type LineResult = { readonly line: number; readonly age: string } | { readonly line: number; readonly skipped: string } | { readonly line: number; readonly error: string };

export async function run(ctx: CommandContext): Promise<number> {
  const file = ctx.positionals[0];
  const fromStdin = file === undefined || file === "-";
  const origin = fromStdin ? "<stdin>" : file;
  const input = fromStdin ? await readStream(ctx.stdin) : await readInput(resolve(ctx.cwd, file), file);
  if (flag(ctx, "private-key")) {
    const identity = sshPrivateKeyToAge(input, origin);
    if (ctx.json) writeLine(ctx.stdout, JSON.stringify({ format_version: 1, identity }));
    else writeLine(ctx.stdout, identity);
    return 0;
  }
  const results = convertLines(input);
  const converted = results.filter((r) => "age" in r).length;
  if (ctx.json) {
    writeLine(ctx.stdout, JSON.stringify({ format_version: 1, lines: results }));
  } else {
    for (const r of results) {
      if ("age" in r) writeLine(ctx.stdout, r.age);
      else if ("skipped" in r) writeLine(ctx.stderr, `line ${r.line}: skipped ${r.skipped} key (only ssh-ed25519 converts)`);
      else writeLine(ctx.stderr, `line ${r.line}: ${r.error}`);
    }
    if (converted === 0) writeLine(ctx.stderr, `${origin}: no ssh-ed25519 public key found`);
  }
  return converted === 0 || results.some((r) => "error" in r) ? 1 : 0;
}

/** Converts every non-blank, non-comment line; never throws for a bad line. */
export function convertLines(input: string): LineResult[] {
  const results: LineResult[] = [];
  for (const [i, raw] of input.split("\n").entries()) {
    const text = raw.trim();
    if (text === "" || text.startsWith("#")) continue;
    const line = i + 1;
    try {
      results.push({ line, age: sshPublicKeyToAge(text) });
    } catch (e) {
      if (!isRekeyError(e)) throw e;
      const type = text.split(/\s+/).find((t) => /^(ssh-|ecdsa-|sk-)/.test(t));
      results.push(e.code === "UNSUPPORTED_KEY_TYPE" && type !== undefined ? { line, skipped: type } : { line, error: e.message });
    }
  }
  return results;
}

async function readInput(path: string, shown: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    throw new RekeyError("IO", `cannot read ${shown}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { file: shown, cause: e });
  }
}

async function readStream(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString("utf8");
}
