/**
 * The Reporter for apply and generate on a colour terminal: Ink renders RunView, re-rendered
 * on a short tick rather than on every event, so thousands of outputs cost a few frames.
 * Imported lazily by the CLI; nothing else loads React.
 */
import { createInterface } from "node:readline/promises";
import type { Writable } from "node:stream";
import { render, type Instance } from "ink";
import type { ApplyEvent, Reporter } from "../apply/events.js";
import { PlainReporter } from "./reporters.js";
import { initialRunState, reduceRun, showsProgress, withAnswer, type RunState } from "./run-state.js";
import { RunView, type PendingQuestion } from "./run-view.js";

/** The terminal streams the UI draws on and reads from. */
export interface TtyStreams {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly stderr: NodeJS.WritableStream;
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean };
}

/** What tests inject: the clock (milliseconds) and the re-render period. */
export interface TtyReporterOptions {
  readonly now?: () => number;
  readonly tickMs?: number;
}

/** A Reporter that draws with Ink. Call close() when the run ends, also when it throws. */
export class InkReporter implements Reporter {
  private state: RunState = initialRunState;
  private question: PendingQuestion | null = null;
  private readonly instance: Instance;
  private readonly ticker: NodeJS.Timeout;
  private readonly now: () => number;
  private dirty = false;
  private closed = false;

  constructor(
    private readonly io: TtyStreams,
    options: TtyReporterOptions = {},
  ) {
    this.now = options.now ?? (() => performance.now());
    this.instance = render(this.view(), {
      stdout: io.stdout as NodeJS.WriteStream,
      stderr: io.stderr as NodeJS.WriteStream,
      stdin: io.stdin as NodeJS.ReadStream,
      exitOnCtrlC: false,
      patchConsole: false,
    });
    this.ticker = setInterval(() => this.tick(), options.tickMs ?? 100);
    this.ticker.unref();
  }

  notify(event: ApplyEvent): void {
    if (this.closed) return;
    this.state = reduceRun(this.state, event, this.now());
    // Notices and the summary show at once; the rest waits for the next tick, so that
    // thousands of writes or removals cost a frame every tickMs, not a render each.
    if (event.type === "notice" || event.type === "done") this.flush();
    else this.dirty = true;
  }

  /** Asks on the terminal; y is yes, anything else (Enter, n, Esc, Ctrl+C) is no. */
  confirm(question: string): Promise<boolean> {
    if (this.closed || this.question !== null || this.io.stdin.isTTY !== true) return Promise.resolve(false);
    return new Promise((resolve) => {
      let answered = false;
      this.question = {
        text: question,
        answer: (yes) => {
          if (answered) return;
          answered = true;
          this.question = null;
          this.state = withAnswer(this.state, question, yes);
          this.flush();
          resolve(yes);
        },
      };
      this.flush();
    });
  }

  /** Draws the last frame, unmounts Ink (restoring the cursor and stdin) and stops the tick. */
  async close(): Promise<void> {
    if (this.closed) return;
    clearInterval(this.ticker);
    this.question?.answer(false);
    this.flush();
    this.closed = true;
    this.instance.unmount();
    await this.instance.waitUntilExit().catch(() => undefined);
  }

  /** Re-renders when something changed, or every tick while the elapsed time shows. */
  tick(): void {
    if (this.dirty || showsProgress(this.state, this.now())) this.flush();
  }

  private flush(): void {
    if (this.closed) return;
    this.dirty = false;
    this.instance.rerender(this.view());
  }

  private view() {
    const columns = this.io.stdout.columns || 80;
    return <RunView state={this.state} now={this.now()} columns={columns} question={this.question} canAsk={this.io.stdin.isTTY === true} />;
  }
}

/**
 * The reporter for `apply` and `generate` on a colour TTY:
 *
 * ```ts
 * const { createTtyReporter } = await import("../../ui/tty-reporter.js");
 * const reporter = await createTtyReporter(ctx.stdout, ctx.stderr, ctx.stdin);
 * try { ... } finally { await reporter.close(); }
 * ```
 * Under `CI` (or `CONTINUOUS_INTEGRATION`), Ink draws nothing live, not even a question, so
 * the plain reporter with a readline prompt is used instead.
 */
export function createTtyReporter(
  stdout: TtyStreams["stdout"],
  stderr: TtyStreams["stderr"],
  stdin: TtyStreams["stdin"],
  options: TtyReporterOptions & { readonly env?: Readonly<Record<string, string | undefined>> } = {},
): Promise<Reporter & { close(): Promise<void> }> {
  if (inkBuffersOutput(options.env ?? process.env)) return Promise.resolve(new PromptingPlainReporter({ stdout, stderr, stdin }));
  return Promise.resolve(new InkReporter({ stdout, stderr, stdin }, options));
}

/** The check Ink makes (package is-in-ci) before it holds back everything but <Static>. */
export function inkBuffersOutput(env: Readonly<Record<string, string | undefined>>): boolean {
  const set = (key: string) => env[key] !== undefined && env[key] !== "0" && env[key] !== "false";
  return set("CI") || set("CONTINUOUS_INTEGRATION");
}

/** Plain lines, and questions asked with readline. */
export class PromptingPlainReporter extends PlainReporter {
  constructor(private readonly io: TtyStreams) {
    super(io.stdout as Writable, io.stderr as Writable);
  }
  override async confirm(question: string): Promise<boolean> {
    if (this.io.stdin.isTTY !== true) return false;
    const rl = createInterface({ input: this.io.stdin, output: this.io.stdout, terminal: true });
    try {
      return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
    } finally {
      rl.close();
    }
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}
