/**
 * Reporters for runs without the Ink UI: plain text (no TTY, --no-color, NO_COLOR) and
 * NDJSON (--json). Events carry names only, never plaintext, so both print them as they are.
 */
import type { Writable } from "node:stream";
import type { ApplyEvent, Reporter } from "../apply/events.js";
import { cleanText } from "./ansi.js";
import { whenDrained } from "../cli/backpressure.js";

/**
 * Lines written as events happen, except that a burst of "write" events (apply reports a
 * chunk of thousands of outputs at once) goes out in one write at the end of the burst, or
 * before the next other event: one system call per chunk, not one per output.
 */
class Lines {
  private pending: string[] = [];
  constructor(private readonly out: Writable) {}

  /** Writes `line` now; with `batched`, at the end of the current burst of batched lines. */
  push(line: string, batched = false): void {
    if (!batched) {
      this.flush();
      this.out.write(line);
      return;
    }
    if (this.pending.length === 0) queueMicrotask(() => this.flush());
    this.pending.push(line);
  }

  flush(): void {
    if (this.pending.length === 0) return;
    const text = this.pending.join("");
    this.pending = [];
    this.out.write(text);
  }

  /** Writes what is pending; resolves once its reader has taken all but a few MiB. */
  async drained(): Promise<void> {
    this.flush();
    await whenDrained(this.out);
  }
}

/** One JSON object per line, flushed as events happen (see {@link Lines} for bursts of writes). */
export class JsonReporter implements Reporter {
  private readonly lines: Lines;
  constructor(out: Writable) {
    this.lines = new Lines(out);
  }
  notify(event: ApplyEvent): void {
    this.lines.push(JSON.stringify(event) + "\n", event.type === "write");
  }
  drained(): Promise<void> {
    return this.lines.drained();
  }
  /** Answers no: there is no terminal to ask on. */
  confirm(_question?: string): Promise<boolean> {
    return Promise.resolve(false);
  }
}

const SYMBOL = { create: "+", update: "~", remove: "-", generate: "*", regenerate: "*" } as const;

/**
 * Stable plain text, one line per thing done, no escape codes (control characters in names
 * or messages become U+FFFD). For example:
 *
 * ```
 * * generate wg-key (wireguard)
 * + web1: db-password
 * - old1: db-password
 *
 * Applied: 1 generated, 1 created, 0 updated, 1 removed in 0.42 s (1 sources decrypted).
 * ```
 */
export class PlainReporter implements Reporter {
  private readonly lines: Lines;
  constructor(
    out: Writable,
    private readonly err: Writable,
  ) {
    this.lines = new Lines(out);
  }
  notify(event: ApplyEvent): void {
    switch (event.type) {
      case "notice":
        this.lines.flush(); // in order with what stdout already showed
        this.err.write(`${cleanText(event.message)}\n`);
        break;
      case "generate":
        this.lines.push(cleanText(`${SYMBOL[event.action]} ${event.action} ${event.secret} (${event.generator})`) + "\n");
        break;
      case "write":
        this.lines.push(cleanText(`${SYMBOL[event.action]} ${event.host}: ${event.secret}`) + "\n", true);
        break;
      case "remove":
        this.lines.push(cleanText(`- ${event.host}: ${event.secret}`) + "\n");
        break;
      case "done": {
        const s = event.summary;
        const secs = (event.elapsed_ms / 1000).toFixed(2);
        this.lines.push(`\nApplied: ${s.generate} generated, ${s.create} created, ${s.update} updated, ${s.remove} removed in ${secs} s (${event.decrypted} sources decrypted).\n`);
        break;
      }
      default:
        break;
    }
  }
  drained(): Promise<void> {
    return this.lines.drained();
  }
  /** Answers no: there is no terminal to ask on. */
  confirm(_question?: string): Promise<boolean> {
    return Promise.resolve(false);
  }
}

