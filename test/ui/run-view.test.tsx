import { render } from "ink-testing-library";
import { afterEach, describe, expect, it } from "vitest";
import { cleanup } from "ink-testing-library";
import type { ApplyEvent } from "../../src/apply/events.js";
import { stripAnsi } from "../../src/ui/ansi.js";
import { initialRunState, reduceRun, showsProgress, throughput, type RunState } from "../../src/ui/run-state.js";
import { formatSeconds, RunView } from "../../src/ui/run-view.js";
import { sampleEvents, writeEvents } from "./events.js";

afterEach(() => cleanup());

/** Folds events seen at the given times (ms) into a state: the fake clock. */
function fold(timed: ReadonlyArray<readonly [number, ApplyEvent]>, from: RunState = initialRunState): RunState {
  return timed.reduce((s, [t, e]) => reduceRun(s, e, t), from);
}

/** A long run: start at 0, 120 of 400 outputs written one every 10 ms from 1000 ms on. */
function longRun(): RunState {
  const start: ApplyEvent = { type: "start", summary: { generate: 0, create: 400, update: 0, remove: 0 }, total: 400 };
  return fold([[0, start], ...writeEvents(120, 400).map((e, i) => [1000 + i * 10, e] as const)]);
}

const frame = (f: string | undefined) => stripAnsi(f ?? "");

describe("progress", () => {
  it("shows the current host and secret, done/total, elapsed time and throughput", () => {
    const state = longRun();
    expect(throughput(state, 3000)).toBe(60);
    const { lastFrame } = render(<RunView state={state} now={3000} columns={80} />);
    const text = frame(lastFrame());
    expect(text).toContain("120/400");
    expect(text).toContain("3.00 s");
    expect(text).toContain("60.0 outputs/s");
    expect(text).toContain("web120  db-password");
    expect(text).not.toContain("web119");
    for (const line of text.split("\n")) expect(line.length).toBeLessThanOrEqual(80);
  });

  it("fills the bar in proportion and updates as time passes", () => {
    const state = longRun();
    const { lastFrame, rerender } = render(<RunView state={state} now={3000} columns={80} />);
    const bar = frame(lastFrame()).split("\n").find((l) => l.includes("█")) ?? "";
    const filled = [...bar].filter((c) => c === "█").length;
    const empty = [...bar].filter((c) => c === "░").length;
    expect(filled / (filled + empty)).toBeCloseTo(120 / 400, 1);
    rerender(<RunView state={state} now={13000} columns={80} />);
    expect(frame(lastFrame())).toContain("13.0 s");
    expect(frame(lastFrame())).toContain("10.0 outputs/s");
  });

  it("stays hidden for short, fast runs and appears after 300 ms", () => {
    const state = fold(sampleEvents.slice(0, 5).map((e) => [0, e] as const));
    expect(showsProgress(state, 100)).toBe(false);
    expect(showsProgress(state, 300)).toBe(true);
    expect(frame(render(<RunView state={state} now={100} columns={80} />).lastFrame())).not.toMatch(/[█░]|\d+\/5/);
    expect(frame(render(<RunView state={state} now={400} columns={80} />).lastFrame())).toContain("2/5");
  });

  it("shows at once for runs of more than 50 outputs, without a line per output", () => {
    const state = longRun();
    expect(showsProgress(state, 0)).toBe(true);
    expect(state.lines).toHaveLength(0);
  });

  it("has no throughput before two outputs", () => {
    const one = fold([[0, { type: "start", summary: { generate: 0, create: 2, update: 0, remove: 0 }, total: 2 }], [500, writeEvents(1, 2)[0]!]]);
    expect(throughput(one, 900)).toBeNull();
    expect(frame(render(<RunView state={one} now={900} columns={80} />).lastFrame())).not.toContain("outputs/s");
  });
});

describe("lines and summary", () => {
  it("prints notices, generator lines and outputs of short runs, then the summary", () => {
    const state = fold(sampleEvents.map((e, i) => [i * 10, e] as const));
    const text = frame(render(<RunView state={state} now={2000} columns={80} />).lastFrame());
    const lines = text.split("\n").filter((l) => l.trim() !== "");
    expect(lines).toEqual([
      "! skipped identity file keys/old.txt: not an age identity",
      "* generated wg-key (wireguard)",
      "+ web1: db-password",
      "+ web2: db-password",
      "~ web1: wg-key",
      "- old1: db-password",
      "Applied: 1 generated, 2 created, 1 updated, 1 removed in 1.23 s (2 sources decrypted).",
    ]);
    expect(text).not.toMatch(/[█░]/);
  });

  it("formats durations", () => {
    expect(formatSeconds(420)).toBe("0.42 s");
    expect(formatSeconds(12_340)).toBe("12.3 s");
    expect(formatSeconds(125_000)).toBe("2 min 05 s");
  });

  it("never mutates the state it folds", () => {
    const state = longRun();
    const copy = structuredClone(state);
    reduceRun(state, { type: "notice", message: "x" }, 5000);
    expect(state).toEqual(copy);
  });
});
