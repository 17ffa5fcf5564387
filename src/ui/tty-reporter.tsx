/**
 * The Reporter for apply and generate on a colour terminal: Ink renders RunView, re-rendered
 * on a short tick rather than on every event, so thousands of outputs cost a few frames.
 * Imported lazily by the CLI; nothing else loads React.
 */
import { render, type Instance } from "ink";
import type { ApplyEvent, Reporter } from "../apply/events.js";
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
    // Lines and the summary show at once; progress waits for the next tick.
    if (event.type === "write" || event.type === "decrypt") this.dirty = true;
    else this.flush();
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
    const columns = this.io.stdout.columns ?? 80;
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
 */
export function createTtyReporter(
  stdout: TtyStreams["stdout"],
  stderr: TtyStreams["stderr"],
  stdin: TtyStreams["stdin"],
  options: TtyReporterOptions = {},
): Promise<Reporter & { close(): Promise<void> }> {
  return Promise.resolve(new InkReporter({ stdout, stderr, stdin }, options));
}
