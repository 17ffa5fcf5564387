/**
 * What apply and generate report, and to whom (STYLE.md, pattern 3): the core never prints;
 * it notifies a Reporter. The terminal UI, the plain-text reporter and the --json reporter
 * implement it, and tests record events.
 */
import type { ActionKind, PlanSummary } from "../core/plan.js";

/** One event of a run. `--json` prints each as one line. */
export type ApplyEvent =
  | { readonly type: "start"; readonly summary: PlanSummary; readonly total: number }
  | { readonly type: "notice"; readonly message: string }
  | { readonly type: "generate"; readonly secret: string; readonly generator: string; readonly action: "generate" | "regenerate" }
  | { readonly type: "decrypt"; readonly secret: string }
  | { readonly type: "write"; readonly action: ActionKind; readonly host: string; readonly secret: string; readonly done: number; readonly total: number }
  | { readonly type: "remove"; readonly host: string; readonly secret: string }
  | { readonly type: "done"; readonly summary: PlanSummary; readonly elapsed_ms: number; readonly decrypted: number; readonly written: number; readonly removed: number };

/** The host a run reports to. */
export interface Reporter {
  notify(event: ApplyEvent): void;
  /**
   * Resolves once what the reporter has written has mostly reached its reader; apply awaits it
   * after each chunk, so that the events of a large run do not queue in memory behind a slow
   * reader. Absent: nothing to wait for.
   */
  drained?(): Promise<void>;
  /** Asks a yes/no question; a non-interactive reporter answers false. */
  confirm(question: string): Promise<boolean>;
}

/** A reporter that records events, for tests and for composing reporters. */
export class RecordingReporter implements Reporter {
  readonly events: ApplyEvent[] = [];
  constructor(private readonly answer = true) {}
  notify(event: ApplyEvent): void {
    this.events.push(event);
  }
  confirm(): Promise<boolean> {
    return Promise.resolve(this.answer);
  }
}
