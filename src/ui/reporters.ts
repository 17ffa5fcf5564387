/**
 * Reporters for runs without the Ink UI: plain text (no TTY, --no-color, NO_COLOR) and
 * NDJSON (--json). Events carry names only, never plaintext, so both print them as they are.
 */
import type { Writable } from "node:stream";
import type { ApplyEvent, Reporter } from "../apply/events.js";
import { cleanText } from "./ansi.js";

/** One JSON object per line, flushed as events happen. */
export class JsonReporter implements Reporter {
  constructor(private readonly out: Writable) {}
  notify(event: ApplyEvent): void {
    this.out.write(JSON.stringify(event) + "\n");
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
  constructor(
    private readonly out: Writable,
    private readonly err: Writable,
  ) {}
  notify(event: ApplyEvent): void {
    switch (event.type) {
      case "notice":
        this.err.write(`${cleanText(event.message)}\n`);
        break;
      case "generate":
        this.out.write(cleanText(`${SYMBOL[event.action]} ${event.action} ${event.secret} (${event.generator})`) + "\n");
        break;
      case "write":
        this.out.write(cleanText(`${SYMBOL[event.action]} ${event.host}: ${event.secret}`) + "\n");
        break;
      case "remove":
        this.out.write(cleanText(`- ${event.host}: ${event.secret}`) + "\n");
        break;
      case "done": {
        const s = event.summary;
        const secs = (event.elapsed_ms / 1000).toFixed(2);
        this.out.write(`\nApplied: ${s.generate} generated, ${s.create} created, ${s.update} updated, ${s.remove} removed in ${secs} s (${event.decrypted} sources decrypted).\n`);
        break;
      }
      default:
        break;
    }
  }
  /** Answers no: there is no terminal to ask on. */
  confirm(_question?: string): Promise<boolean> {
    return Promise.resolve(false);
  }
}

