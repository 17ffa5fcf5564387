import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import type { ApplyEvent, Reporter } from "../../src/apply/events.js";
import { JsonReporter, PlainReporter } from "../../src/ui/reporters.js";
import { sampleEvents, writeEvents } from "./events.js";

function sink(): Writable & { text: () => string; writes: () => number } {
  const chunks: string[] = [];
  const w = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return Object.assign(w, { text: () => chunks.join(""), writes: () => chunks.length });
}

describe("both reporters: a burst of write events", () => {
  for (const [name, make] of [
    ["JsonReporter", (out: Writable) => new JsonReporter(out)],
    ["PlainReporter", (out: Writable) => new PlainReporter(out, sink())],
  ] as const) {
    it(`${name} writes a burst in one write at its end, in order with the events around it`, async () => {
      const out = sink();
      const reporter = make(out);
      reporter.notify({ type: "decrypt", secret: "db-password" });
      for (const e of writeEvents(500, 501)) reporter.notify(e);
      reporter.notify({ type: "remove", host: "old1", secret: "db-password" }); // flushes the burst first
      for (const e of writeEvents(1, 1)) reporter.notify(e);
      expect(out.text().split("\n").filter(Boolean).length).toBe(name === "JsonReporter" ? 502 : 501); // one line is still pending
      await Promise.resolve(); // the end of the burst
      const lines = out.text().split("\n").filter(Boolean);
      expect(lines.at(-1)).toContain("web1");
      expect(lines.findIndex((l) => l.includes("old1"))).toBe(lines.length - 2);
      expect(out.writes()).toBeLessThanOrEqual(4);
    });
  }
});

describe("PlainReporter", () => {
  it("prints one stable line per thing done and the summary, without escape codes", () => {
    const out = sink();
    const err = sink();
    const reporter = new PlainReporter(out, err);
    for (const e of sampleEvents) reporter.notify(e);
    expect(out.text()).toBe(
      [
        "* generate wg-key (wireguard)",
        "+ web1: db-password",
        "+ web2: db-password",
        "~ web1: wg-key",
        "- old1: db-password",
        "",
        "Applied: 1 generated, 2 created, 1 updated, 1 removed in 1.23 s (2 sources decrypted).",
        "",
      ].join("\n"),
    );
    expect(err.text()).toBe("skipped identity file keys/old.txt: not an age identity\n");
    expect(out.text() + err.text()).not.toContain("\u001b");
  });

  it("neutralises escape and control characters coming from messages and names", () => {
    const out = sink();
    const err = sink();
    const reporter = new PlainReporter(out, err);
    reporter.notify({ type: "notice", message: "bad file \u001b[31mred\u001b[0m\u009b2J\nnext" });
    reporter.notify({ type: "generate", secret: "s", generator: "evil\u001b]0;title\u0007", action: "regenerate" });
    const all = out.text() + err.text();
    for (const c of ["\u001b", "\u0007", "\u009b", "\r"]) expect(all).not.toContain(c);
    expect(err.text().split("\n").filter(Boolean)).toHaveLength(1);
    expect(out.text()).toMatch(/^\* regenerate s \(evil/);
  });

  it("answers no to questions: it cannot ask", async () => {
    const reporter: Reporter = new PlainReporter(sink(), sink());
    await expect(reporter.confirm("Apply?")).resolves.toBe(false);
  });
});

describe("JsonReporter", () => {
  it("writes exactly one JSON object per line, equal to the event", () => {
    const out = sink();
    const reporter = new JsonReporter(out);
    const events: ApplyEvent[] = [...sampleEvents, { type: "notice", message: "two\nlines and \u2028 a separator \u001b" }];
    for (const e of events) reporter.notify(e);
    const text = out.text();
    expect(text.endsWith("\n")).toBe(true);
    const lines = text.slice(0, -1).split("\n");
    expect(lines).toHaveLength(events.length);
    const parsed = lines.map((l) => JSON.parse(l) as unknown);
    for (const p of parsed) expect(typeof p === "object" && p !== null && !Array.isArray(p)).toBe(true);
    expect(parsed).toEqual(events);
    expect(text).not.toContain("\u001b");
  });

  it("answers no to questions", async () => {
    const reporter: Reporter = new JsonReporter(sink());
    await expect(reporter.confirm("Apply?")).resolves.toBe(false);
  });
});

describe("both reporters: a slow reader", () => {
  for (const [name, make] of [
    ["JsonReporter", (out: Writable) => new JsonReporter(out)],
    ["PlainReporter", (out: Writable) => new PlainReporter(out, sink())],
  ] as const) {
    it(`${name} writes what is pending, and makes apply wait once a few MiB wait for the reader`, async () => {
      // A reader that takes nothing until released, like a pipe to a busy process.
      const held: (() => void)[] = [];
      const out = new Writable({ write: (_chunk, _enc, cb) => void held.push(cb) });
      const reporter = make(out);
      for (const e of writeEvents(10, 10)) reporter.notify(e);
      await reporter.drained(); // a few hundred bytes: no wait
      expect(out.writableLength).toBeGreaterThan(0); // the burst was written, not left pending
      for (let round = 0; round < 300 && out.writableLength < 5 * 2 ** 20; round++) for (const e of writeEvents(2000, 2000)) reporter.notify(e);
      let settled = false;
      const waiting = reporter.drained().then(() => void (settled = true));
      await new Promise((r) => setImmediate(r));
      expect(settled).toBe(false);
      while (held.length > 0) held.shift()!(); // the reader catches up
      await waiting;
      expect(settled).toBe(true);
    });

    it(`${name} does not wait on a reader that went away`, async () => {
      const out = new Writable({ write: () => undefined }); // never calls back
      const reporter = make(out);
      for (let round = 0; round < 30; round++) for (const e of writeEvents(2000, 2000)) reporter.notify(e);
      out.destroy();
      await reporter.drained(); // resolves
    });
  }
});
