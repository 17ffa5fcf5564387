/**
 * Running the user's editor on the temp file: `$VISUAL` or `$EDITOR`, split like a shell
 * command line, with vim's swap, backup, undo and viminfo files turned off.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { RekeyError } from "../core/errors.js";

/** Raised when a trapped signal arrived while the editor ran; the caller exits 128+n. */
export class EditorInterrupted extends Error {
  constructor(readonly signal: TrappedSignal) {
    super(`interrupted by ${signal}`);
    this.name = "EditorInterrupted";
  }
}

/**
 * Splits a command line as a POSIX shell would (without expansions): whitespace separates
 * words, single quotes are literal, double quotes allow `\"`, `\\`, `\$` and `` \` ``, and a
 * backslash outside quotes escapes the next character. Throws on an unterminated quote.
 */
export function splitCommandLine(line: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw unterminated(line);
      word += line.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (c === '"') {
      inWord = true;
      for (i++; ; i++) {
        if (i >= line.length) throw unterminated(line);
        const d = line[i]!;
        if (d === '"') break;
        if (d === "\\" && i + 1 < line.length && '"\\$`'.includes(line[i + 1]!)) word += line[++i]!;
        else word += d;
      }
    } else if (c === "\\") {
      if (i + 1 < line.length) word += line[++i]!;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

function unterminated(line: string): RekeyError {
  return new RekeyError("EDITOR_FAILED", `cannot parse the editor command ${JSON.stringify(line)}: unterminated quote`, { hint: "Fix $VISUAL / $EDITOR, or use `rekey edit SECRET --input FILE|-`." });
}

const VIMS = new Set(["vim", "nvim", "gvim", "mvim", "vimx", "rvim"]);

const NO_LEAKS = "set nobackup nowritebackup noundofile noswapfile";

/**
 * Flags that keep vim and neovim from writing the plaintext elsewhere: no swap file (-n), no
 * viminfo/shada (-i NONE), and no backup or undo files: set before the vimrc (--cmd), again
 * after it (-c, since a vimrc may turn them back on), and at each write (an autocommand, since
 * a filetype plugin may too). They go before the user's own arguments, so that a `-c` there
 * (even `-c wq`) runs after them.
 */
export const VIM_SAFE_FLAGS: readonly string[] = ["-n", "-i", "NONE", "--cmd", NO_LEAKS, "-c", `${NO_LEAKS} | autocmd BufWritePre * ${NO_LEAKS}`];

/** The editor's argv without the file: its words, with vim's safety flags after the command if it is vim. */
export function editorCommand(env: Readonly<Record<string, string | undefined>>, interactive: boolean): string[] {
  const line = [env.VISUAL, env.EDITOR].find((v) => v !== undefined && v.trim() !== "");
  if (line === undefined && !interactive) {
    throw new RekeyError("EDITOR_FAILED", "no editor: $VISUAL and $EDITOR are unset and there is no terminal", { hint: "Set EDITOR, or pass the new content with `rekey edit SECRET --input FILE|-`." });
  }
  const words = splitCommandLine(line ?? "vi");
  if (words.length === 0) throw new RekeyError("EDITOR_FAILED", "the editor command is empty", { hint: "Set EDITOR to your editor, e.g. `export EDITOR=vim`." });
  const isVim = VIMS.has(path.basename(words[0]!));
  const [cmd, ...args] = words;
  return [cmd!, ...(isVim ? VIM_SAFE_FLAGS : []), ...args];
}

/** The signals trapped while plaintext exists: Ctrl-C, kill, and a closed terminal. */
export type TrappedSignal = "SIGINT" | "SIGTERM" | "SIGHUP";
const TRAPPED: readonly TrappedSignal[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/** Holds SIGINT/SIGTERM/SIGHUP while plaintext exists, so cleanup runs before the process exits. */
export interface SignalTrap {
  /** The first signal caught, if any. */
  readonly caught: TrappedSignal | undefined;
  /** Called on each caught signal (runEditor uses it to stop the editor). */
  onSignal: ((signal: TrappedSignal) => void) | undefined;
  /** Restores the default handling. Idempotent. */
  release(): void;
}

/**
 * Installs the handlers; the caller must {@link SignalTrap.release} them in a `finally`. On a
 * signal, `cleanup` runs first and synchronously (the entry point may exit on the next tick).
 */
export function trapSignals(cleanup: () => void): SignalTrap {
  const handlers = TRAPPED.map((signal) => [signal, (): void => handle(signal)] as const);
  const trap: SignalTrap = {
    caught: undefined,
    onSignal: undefined,
    release() {
      for (const [signal, fn] of handlers) process.off(signal, fn);
    },
  };
  const handle = (signal: TrappedSignal): void => {
    (trap as { caught: TrappedSignal | undefined }).caught ??= signal;
    cleanup();
    trap.onSignal?.(signal);
  };
  for (const [signal, fn] of handlers) process.on(signal, fn);
  return trap;
}

/**
 * Runs the editor with the terminal attached. Resolves when it exits 0; throws EDITOR_FAILED
 * for another exit code or a failure to start, and {@link EditorInterrupted} if `trap` caught
 * a signal meanwhile (the editor is then terminated: SIGTERM, then SIGKILL after 3 s).
 */
export async function runEditor(argv: readonly string[], trap: SignalTrap): Promise<void> {
  const [cmd, ...args] = argv;
  let child: ChildProcess | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  trap.onSignal = () => {
    child?.kill("SIGTERM");
    killTimer ??= setTimeout(() => child?.kill("SIGKILL"), 3000).unref();
  };
  try {
    if (trap.caught !== undefined) throw new EditorInterrupted(trap.caught);
    const started = spawn(cmd!, args, { stdio: "inherit" });
    child = started;
    const result = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      started.once("error", reject);
      started.once("exit", (code, signal) => resolve({ code, signal }));
    });
    if (trap.caught !== undefined) throw new EditorInterrupted(trap.caught);
    if (result.code !== 0) {
      const how = result.signal !== null ? `was killed by ${result.signal}` : `exited with status ${result.code}`;
      throw new RekeyError("EDITOR_FAILED", `the editor (${cmd}) ${how}; nothing was written`, { hint: "Run `rekey edit` again, or pass the content with --input FILE|-." });
    }
  } catch (e) {
    if (e instanceof EditorInterrupted || e instanceof RekeyError) throw e;
    if (trap.caught !== undefined) throw new EditorInterrupted(trap.caught);
    throw new RekeyError("EDITOR_FAILED", `cannot start the editor ${cmd}: ${(e as Error).message}`, { hint: "Set VISUAL or EDITOR to an editor on your PATH, or use --input FILE|-." });
  } finally {
    if (killTimer !== undefined) clearTimeout(killTimer);
    trap.onSignal = undefined;
  }
}
