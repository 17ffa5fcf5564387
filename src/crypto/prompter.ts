/**
 * How master keys talk to the user: passphrases and PINs, plugin messages and confirmations.
 * The terminal prompter reads secrets with echo off on the TTY; without a TTY it runs
 * REKEY_ASKPASS (a program that prints the secret, as SSH_ASKPASS does), or fails clearly.
 */
import { execFile } from "node:child_process";
import { RekeyError } from "../core/errors.js";

/** The user interface that identities and plugins use. */
export interface KeyPrompter {
  /** Asks for a secret (passphrase, PIN). Rejects with a RekeyError if it cannot ask. */
  secret(prompt: string): Promise<string>;
  /** Asks for a public value. Rejects with a RekeyError if it cannot ask. */
  value(prompt: string): Promise<string>;
  /** Asks a yes/no question; rejects if it cannot ask. */
  confirm(prompt: string, yes: string, no: string | undefined): Promise<boolean>;
  /** Shows a message or notice (on stderr for the terminal prompter). */
  message(text: string): void;
}

/** What {@link terminalPrompter} needs from the process. */
export interface TerminalPrompterOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdin?: NodeJS.ReadStream;
  readonly stderr?: NodeJS.WritableStream;
}

/** A prompter that cannot ask anything: every request fails (messages are dropped). */
export const silentPrompter: KeyPrompter = {
  secret: (prompt) => Promise.reject(noPrompt(prompt)),
  value: (prompt) => Promise.reject(noPrompt(prompt)),
  confirm: (prompt) => Promise.reject(noPrompt(prompt)),
  message: () => undefined,
};

function noPrompt(prompt: string): RekeyError {
  return new RekeyError("NO_PROMPT", `cannot ask "${prompt.trim()}": there is no terminal and REKEY_ASKPASS is not set`, {
    hint: "Run rekey in a terminal, or set REKEY_ASKPASS to a program that prints the passphrase or PIN.",
  });
}

/**
 * The prompter of the CLI: REKEY_ASKPASS when set (it takes precedence, so automation is
 * deterministic), else the TTY on stdin with echo off, else NO_PROMPT errors.
 */
export function terminalPrompter(options: TerminalPrompterOptions): KeyPrompter {
  const stdin = options.stdin ?? process.stdin;
  const stderr = options.stderr ?? process.stderr;
  const askpass = options.env.REKEY_ASKPASS;
  const tty = stdin.isTTY === true;
  // One prompt at a time: plugin sessions and lazy identities may ask concurrently.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(f: () => Promise<T>): Promise<T> => {
    const next = queue.then(f, f);
    queue = next.catch(() => undefined);
    return next;
  };
  const ask = (prompt: string, hidden: boolean): Promise<string> =>
    serial(() => {
      if (askpass !== undefined && askpass !== "") return runAskpass(askpass, prompt);
      if (tty) return readTty(stdin, stderr, prompt, hidden);
      return Promise.reject(noPrompt(prompt));
    });
  return {
    secret: (prompt) => ask(prompt, true),
    value: (prompt) => ask(prompt, false),
    confirm: (prompt, yes, no) =>
      serial(async () => {
        if (!tty) throw noPrompt(prompt);
        const choices = no === undefined ? `[${yes}]` : `[y: ${yes} / n: ${no}]`;
        const answer = await readTty(stdin, stderr, `${prompt} ${choices} `, false);
        return no === undefined || /^y(es)?$/i.test(answer.trim());
      }),
    message: (text) => {
      stderr.write(`${text.trimEnd()}\n`);
    },
  };
}

function runAskpass(program: string, prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(program, [prompt], { encoding: "utf8", maxBuffer: 1 << 16 }, (error, stdout) => {
      if (error !== null) {
        reject(
          new RekeyError("NO_PROMPT", `REKEY_ASKPASS program ${program} failed: ${error.message.split("\n")[0] ?? ""}`, {
            hint: "Check that REKEY_ASKPASS names an executable that prints the passphrase and exits 0.",
          }),
        );
        return;
      }
      resolve(stdout.replace(/\r?\n$/, ""));
    });
  });
}

/** Reads one line from the TTY, with echo off when `hidden`; Ctrl-C aborts. */
function readTty(stdin: NodeJS.ReadStream, stderr: NodeJS.WritableStream, prompt: string, hidden: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    stderr.write(prompt.endsWith(" ") ? prompt : `${prompt} `);
    const wasRaw = stdin.isRaw;
    stdin.setRawMode(true);
    stdin.resume();
    let line = "";
    const finish = (error: Error | null): void => {
      stdin.off("data", onData);
      stdin.setRawMode(wasRaw);
      stdin.pause();
      stderr.write("\n");
      if (error !== null) reject(error);
      else resolve(line);
    };
    const onData = (chunk: Buffer): void => {
      for (const ch of chunk.toString("utf8")) {
        if (ch === "\r" || ch === "\n") return finish(null);
        if (ch === "\u0003" || ch === "\u0004") return finish(new RekeyError("ABORTED", "interrupted at the prompt: nothing was written"));
        if (ch === "\u007f" || ch === "\b") line = [...line].slice(0, -1).join("");
        else if (ch >= " ") {
          line += ch;
          if (!hidden) stderr.write(ch);
        }
      }
    };
    stdin.on("data", onData);
  });
}
