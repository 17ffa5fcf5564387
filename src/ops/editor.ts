/**
 * Running the user's editor on the temp file: `$VISUAL` or `$EDITOR`, split like a shell
 * command line, with vim's swap, backup, undo and viminfo files turned off.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { RekeyError } from "../core/errors.js";

/** Raised when SIGINT or SIGTERM arrived while the editor ran; the caller cleans up and exits 128+n. */
export class EditorInterrupted extends Error {
  constructor(readonly signal: "SIGINT" | "SIGTERM") {
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

/** The argv that edits `file`: the editor's words, vim's safety flags if it is vim, then the file. */
export function editorArgv(env: Readonly<Record<string, string | undefined>>, file: string, interactive: boolean): string[] {
  const line = [env.VISUAL, env.EDITOR].find((v) => v !== undefined && v.trim() !== "");
  if (line === undefined && !interactive) {
    throw new RekeyError("EDITOR_FAILED", "no editor: $VISUAL and $EDITOR are unset and there is no terminal", { hint: "Set EDITOR, or pass the new content with `rekey edit SECRET --input FILE|-`." });
  }
  const words = splitCommandLine(line ?? "vi");
  if (words.length === 0) throw new RekeyError("EDITOR_FAILED", "the editor command is empty", { hint: "Set EDITOR to your editor, e.g. `export EDITOR=vim`." });
  const isVim = VIMS.has(path.basename(words[0]!));
  const [cmd, ...args] = words;
  return [cmd!, ...(isVim ? VIM_SAFE_FLAGS : []), ...args, file];
}

/**
 * Runs the editor with the terminal attached. Resolves when it exits 0; throws EDITOR_FAILED
 * for another exit code or a failure to start, and {@link EditorInterrupted} if this process
 * got SIGINT/SIGTERM meanwhile (the editor is then terminated).
 */
export async function runEditor(argv: readonly string[]): Promise<void> {
  const [cmd, ...args] = argv;
  const child = spawn(cmd!, args, { stdio: "inherit" });
  let interrupted: "SIGINT" | "SIGTERM" | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  const onSignal = (signal: "SIGINT" | "SIGTERM"): void => {
    interrupted ??= signal;
    child.kill("SIGTERM");
    killTimer ??= setTimeout(() => child.kill("SIGKILL"), 3000).unref();
  };
  const onInt = (): void => onSignal("SIGINT");
  const onTerm = (): void => onSignal("SIGTERM");
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onTerm);
  try {
    const result = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.once("error", reject);
      child.once("exit", (code, signal) => resolve({ code, signal }));
    });
    if (interrupted !== undefined) throw new EditorInterrupted(interrupted);
    if (result.code !== 0) {
      const how = result.signal !== null ? `was killed by ${result.signal}` : `exited with status ${result.code}`;
      throw new RekeyError("EDITOR_FAILED", `the editor (${cmd}) ${how}; nothing was written`, { hint: "Run `rekey edit` again, or pass the content with --input FILE|-." });
    }
  } catch (e) {
    if (e instanceof EditorInterrupted || e instanceof RekeyError) throw e;
    if (interrupted !== undefined) throw new EditorInterrupted(interrupted);
    throw new RekeyError("EDITOR_FAILED", `cannot start the editor ${cmd}: ${(e as Error).message}`, { hint: "Set VISUAL or EDITOR to an editor on your PATH, or use --input FILE|-." });
  } finally {
    if (killTimer !== undefined) clearTimeout(killTimer);
    process.off("SIGINT", onInt);
    process.off("SIGTERM", onTerm);
  }
}
