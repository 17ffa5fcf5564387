/**
 * The command named on a command line, found without parsing its options: main.ts loads the
 * command's module from it, and bin.ts starts apply's workers from it before loading any.
 */

/** The first argument that is not an option (or the one after `--`), skipping `-C DIR`. */
export function findCommandName(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "-C" || a === "--directory") i++;
    else if (a === "--") return argv[i + 1];
    else if (!a.startsWith("-")) return a;
  }
  return undefined;
}

/** Whether the command line asks for help rather than to run its command. */
export function asksForHelp(argv: readonly string[]): boolean {
  return argv.includes("--help") || argv.includes("-h");
}
