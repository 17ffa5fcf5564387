/**
 * Reporters for runs without the Ink UI: plain text (no TTY, --no-color) and NDJSON (--json).
 */
import type { Writable } from "node:stream";
import type { ApplyEvent, Reporter } from "../apply/events.js";
import { renderSummary } from "../core/plan-format.js";

/** One JSON object per line, flushed as events happen. */
export class JsonReporter implements Reporter {
  constructor(private readonly out: Writable) {}
  notify(event: ApplyEvent): void {
    this.out.write(JSON.stringify(event) + "\n");
  }
  confirm(): Promise<boolean> {
    return Promise.resolve(false);
  }
}

const SYMBOL = { create: "+", update: "~", remove: "-", generate: "*", regenerate: "*" } as const;

/** Stable plain text, one line per thing done, no escape codes. */
export class PlainReporter implements Reporter {
  constructor(
    private readonly out: Writable,
    private readonly err: Writable,
  ) {}
  notify(event: ApplyEvent): void {
    switch (event.type) {
      case "notice":
        this.err.write(`${event.message}\n`);
        break;
      case "generate":
        this.out.write(`${SYMBOL[event.action]} ${event.action} ${event.secret} (${event.generator})\n`);
        break;
      case "write":
        this.out.write(`${SYMBOL[event.action]} ${event.host}: ${event.secret}\n`);
        break;
      case "remove":
        this.out.write(`- ${event.host}: ${event.secret}\n`);
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
  confirm(): Promise<boolean> {
    return Promise.resolve(false);
  }
}

export { renderSummary };
