/**
 * Picks the reporter for a run: NDJSON with --json, the Ink UI on a colour TTY (loaded only
 * then), plain text otherwise.
 */
import type { Reporter } from "../apply/events.js";
import { JsonReporter, PlainReporter } from "../ui/reporters.js";
import type { CommandContext } from "./command.js";

/** A reporter that may hold the terminal until closed. */
export type RunReporter = Reporter & { close?(): Promise<void> };

/** The reporter for `ctx`; call close() in a finally. */
export async function createReporter(ctx: CommandContext): Promise<RunReporter> {
  if (ctx.json) return new JsonReporter(ctx.stdout);
  if (ctx.color) {
    const { createTtyReporter } = await import("../ui/tty-reporter.js");
    return await createTtyReporter(ctx.stdout, ctx.stderr, ctx.stdin);
  }
  return new PlainReporter(ctx.stdout, ctx.stderr);
}
