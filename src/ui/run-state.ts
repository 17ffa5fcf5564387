/**
 * What the terminal UI knows about a running apply or generate, folded from events.
 * Plain data and a pure reducer, so the Ink view stays a function of it and tests need no
 * clock: the caller passes the time of each event.
 */
import type { ApplyEvent } from "../apply/events.js";
import type { PlanSummary } from "../core/plan.js";
import { cleanText } from "./ansi.js";

/** A line printed once, above the live area. */
export type RunLine =
  | { readonly kind: "generate"; readonly id: number; readonly secret: string; readonly generator: string; readonly action: "generate" | "regenerate" }
  | { readonly kind: "notice"; readonly id: number; readonly message: string }
  | { readonly kind: "output"; readonly id: number; readonly symbol: "+" | "~" | "-"; readonly host: string; readonly secret: string }
  | { readonly kind: "answer"; readonly id: number; readonly question: string; readonly yes: boolean };

/** The final summary, from the `done` event. */
export interface RunSummary {
  readonly summary: PlanSummary;
  readonly elapsedMs: number;
  readonly decrypted: number;
}

/** The state of one run. Times are milliseconds on the reporter's clock. */
export interface RunState {
  readonly startedAt: number | null;
  /** Actions in the plan (from `start`), or null when the run did not announce it. */
  readonly total: number | null;
  /** Actions finished: generated, written or removed. */
  readonly done: number;
  readonly written: number;
  readonly firstWriteAt: number | null;
  /** What is being worked on, for example `web1  db-password` or `decrypting db-password`. */
  readonly current: string | null;
  readonly lines: readonly RunLine[];
  readonly finished: RunSummary | null;
}

/** Runs with more actions than this get a progress bar at once, and no line per output. */
export const LONG_RUN_ACTIONS = 50;
/** Shorter runs get a progress bar once they have taken this long. */
export const LONG_RUN_MS = 300;

/** The state before any event. */
export const initialRunState: RunState = { startedAt: null, total: null, done: 0, written: 0, firstWriteAt: null, current: null, lines: [], finished: null };

/** Folds one event, seen at time `now`, into the state. Never mutates `state`. */
export function reduceRun(state: RunState, event: ApplyEvent, now: number): RunState {
  const s = state.startedAt === null ? { ...state, startedAt: now } : state;
  const id = s.lines.length;
  const perOutput = (s.total ?? 0) <= LONG_RUN_ACTIONS;
  switch (event.type) {
    case "start":
      return { ...s, total: event.total };
    case "notice":
      return { ...s, lines: [...s.lines, { kind: "notice", id, message: cleanText(event.message) }] };
    case "generate":
      return {
        ...s,
        done: s.done + 1,
        current: `generating ${event.secret}`,
        lines: [...s.lines, { kind: "generate", id, secret: event.secret, generator: cleanText(event.generator), action: event.action }],
      };
    case "decrypt":
      return { ...s, current: `decrypting ${event.secret}` };
    case "write": {
      const symbol = event.action === "update" ? "~" : "+";
      const lines = perOutput ? [...s.lines, { kind: "output", id, symbol, host: event.host, secret: event.secret } as const] : s.lines;
      return { ...s, done: s.done + 1, written: s.written + 1, firstWriteAt: s.firstWriteAt ?? now, current: `${event.host}  ${event.secret}`, lines };
    }
    case "remove": {
      const lines = perOutput ? [...s.lines, { kind: "output", id, symbol: "-", host: event.host, secret: event.secret } as const] : s.lines;
      return { ...s, done: s.done + 1, current: `removing ${event.host}  ${event.secret}`, lines };
    }
    case "done":
      return { ...s, current: null, finished: { summary: event.summary, elapsedMs: event.elapsed_ms, decrypted: event.decrypted } };
  }
}

/** Records the answer to a question as a line. */
export function withAnswer(state: RunState, question: string, yes: boolean): RunState {
  return { ...state, lines: [...state.lines, { kind: "answer", id: state.lines.length, question, yes }] };
}

/** True when the progress bar should show at time `now`. */
export function showsProgress(state: RunState, now: number): boolean {
  if (state.finished !== null || state.total === null || state.startedAt === null || state.total === 0) return false;
  return state.total > LONG_RUN_ACTIONS || now - state.startedAt >= LONG_RUN_MS;
}

/** Outputs written per second since the first write, or null before there is a rate. */
export function throughput(state: RunState, now: number): number | null {
  if (state.firstWriteAt === null || state.written < 2 || now <= state.firstWriteAt) return null;
  return (state.written * 1000) / (now - state.firstWriteAt);
}
