/**
 * Terminal prompts, only when stdin and stdout are a TTY.
 */
import { createInterface } from "node:readline/promises";
import type { CommandContext } from "./command.js";

/** Asks a yes/no question on the terminal; anything but y/yes is no. */
export async function askYesNo(ctx: CommandContext, question: string): Promise<boolean> {
  const rl = createInterface({ input: ctx.stdin, output: ctx.stdout, terminal: true });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
