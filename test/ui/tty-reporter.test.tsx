import { EventEmitter } from "node:events";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { stripAnsi } from "../../src/ui/ansi.js";

// Ink reads CI once, when it is first imported, and then draws nothing live; these tests are
// about the live terminal, so Ink is loaded (in this test file's own process) without it.
const ciEnv = vi.hoisted(() => {
  const saved = { CI: process.env.CI, CONTINUOUS_INTEGRATION: process.env.CONTINUOUS_INTEGRATION };
  delete process.env.CI;
  delete process.env.CONTINUOUS_INTEGRATION;
  return saved;
});
const { createTtyReporter, InkReporter, PromptingPlainReporter, inkBuffersOutput } = await import("../../src/ui/tty-reporter.js");
afterAll(() => {
  for (const [k, v] of Object.entries(ciEnv)) if (v !== undefined) process.env[k] = v;
});
import { sampleEvents, writeEvents } from "./events.js";

/** A terminal of 80 columns that records what is written. */
class FakeTerminal extends EventEmitter {
  readonly isTTY = true;
  readonly columns = 80;
  readonly rows = 24;
  readonly chunks: string[] = [];
  write = (data: string | Uint8Array, ...rest: unknown[]): boolean => {
    this.chunks.push(typeof data === "string" ? data : Buffer.from(data).toString());
    const cb = rest.find((r) => typeof r === "function") as (() => void) | undefined;
    cb?.();
    return true;
  };
  text = () => this.chunks.join("");
}

/** A keyboard: Ink reads it in raw mode through `readable` and read(). */
class FakeKeyboard extends EventEmitter {
  rawMode = false;
  private pending: string | null = null;
  constructor(readonly isTTY: boolean) {
    super();
  }
  type(data: string): void {
    this.pending = data;
    this.emit("readable");
  }
  read = (): string | null => {
    const data = this.pending;
    this.pending = null;
    return data;
  };
  setRawMode(on: boolean): this {
    this.rawMode = on;
    return this;
  }
  setEncoding(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
  resume(): this {
    return this;
  }
  pause(): this {
    return this;
  }
}

function setup(options: { tty?: boolean } = {}) {
  const out = new FakeTerminal();
  const err = new FakeTerminal();
  const keys = new FakeKeyboard(options.tty ?? true);
  const clock = { t: 0 };
  const streams = { stdout: out as unknown as NodeJS.WriteStream, stderr: err as unknown as NodeJS.WriteStream, stdin: keys as unknown as NodeJS.ReadStream };
  const reporter = new InkReporter(streams, { now: () => clock.t, tickMs: 60_000 });
  return { out, err, keys, clock, reporter };
}

const opened: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((r) => r.close()));
});

/** Lets React commit and Ink write (its render is throttled to a frame). */
const settle = () => new Promise((r) => setTimeout(r, 50));

/** The cursor is visible after the last write: every hide is followed by a show. */
function cursorRestored(text: string): boolean {
  return text.lastIndexOf("\u001b[?25l") < text.lastIndexOf("\u001b[?25h") || !text.includes("\u001b[?25l");
}

describe("InkReporter", () => {
  it("draws live progress from the injected clock, then the summary, and restores the terminal", async () => {
    const { out, clock, reporter } = setup();
    opened.push(reporter);
    reporter.notify({ type: "start", summary: { generate: 0, create: 400, update: 0, remove: 0 }, total: 400 });
    for (const [i, e] of writeEvents(120, 400).entries()) {
      clock.t = 1000 + i * 10;
      reporter.notify(e);
    }
    clock.t = 3000;
    reporter.tick();
    await settle();
    const live = stripAnsi(out.text());
    expect(live).toContain("120/400");
    expect(live).toContain("60.0 outputs/s");
    expect(live).toContain("web120  db-password");
    reporter.notify({ type: "done", summary: { generate: 0, create: 400, update: 0, remove: 0 }, elapsed_ms: 7000, decrypted: 1, written: 400, removed: 0 });
    await reporter.close();
    const final = stripAnsi(out.text()).replace(/\s+/g, " ");
    expect(final).toContain("Applied: 0 generated, 400 created, 0 updated, 0 removed in 7.00 s (1 source decrypted).");
    expect(cursorRestored(out.text())).toBe(true);
  });

  it("prints notices and generator lines of a short run", async () => {
    const { out, reporter } = setup();
    opened.push(reporter);
    for (const e of sampleEvents) reporter.notify(e);
    await reporter.close();
    const text = stripAnsi(out.text());
    for (const expected of ["! skipped identity file keys/old.txt", "* generated wg-key (wireguard)", "+ web1: db-password", "- old1: db-password", "Applied: 1 generated"]) {
      expect(text).toContain(expected);
    }
  });

  it("asks y/N on the keyboard and leaves raw mode afterwards", async () => {
    const { out, keys, reporter } = setup();
    opened.push(reporter);
    const yes = reporter.confirm("Apply these changes?");
    await settle();
    expect(stripAnsi(out.text())).toContain("Apply these changes? [y/N]");
    expect(keys.rawMode).toBe(true);
    keys.type("y");
    await expect(yes).resolves.toBe(true);
    await settle();
    expect(keys.rawMode).toBe(false);
    const no = reporter.confirm("Really?");
    await settle();
    keys.type("\r");
    await expect(no).resolves.toBe(false);
    await reporter.close();
    expect(stripAnsi(out.text())).toMatch(/Apply these changes\? yes[\s\S]*Really\? no/);
  });

  it("answers no without a keyboard, and when closed while asking (a run that throws)", async () => {
    const noTty = setup({ tty: false });
    opened.push(noTty.reporter);
    await expect(noTty.reporter.confirm("Apply?")).resolves.toBe(false);
    const { keys, reporter, out } = setup();
    const pending = reporter.confirm("Apply?");
    await settle();
    await reporter.close();
    await expect(pending).resolves.toBe(false);
    expect(keys.rawMode).toBe(false);
    expect(cursorRestored(out.text())).toBe(true);
    await reporter.close();
    reporter.notify({ type: "notice", message: "after close" });
    expect(stripAnsi(out.text())).not.toContain("after close");
  });

  it("is what createTtyReporter returns", async () => {
    const out = new FakeTerminal();
    const keys = new FakeKeyboard(true);
    const reporter = await createTtyReporter(out as unknown as NodeJS.WriteStream, out as unknown as NodeJS.WriteStream, keys as unknown as NodeJS.ReadStream, { env: {} });
    reporter.notify({ type: "notice", message: "hello" });
    await reporter.close();
    expect(reporter).toBeInstanceOf(InkReporter);
    expect(stripAnsi(out.text())).toContain("! hello");
  });

  it("falls back to plain lines and a readline prompt where Ink would hold back its output (CI)", async () => {
    expect(inkBuffersOutput({ CI: "true" })).toBe(true);
    expect(inkBuffersOutput({ CONTINUOUS_INTEGRATION: "1" })).toBe(true);
    expect(inkBuffersOutput({ CI: "false" })).toBe(false);
    expect(inkBuffersOutput({})).toBe(false);
    const out = new FakeTerminal();
    const reporter = await createTtyReporter(out as unknown as NodeJS.WriteStream, out as unknown as NodeJS.WriteStream, new FakeKeyboard(false) as unknown as NodeJS.ReadStream, { env: { CI: "true" } });
    expect(reporter).toBeInstanceOf(PromptingPlainReporter);
    reporter.notify({ type: "write", action: "create", host: "web1", secret: "db-password", done: 1, total: 1 });
    await expect(reporter.confirm("Apply?")).resolves.toBe(false);
    await reporter.close();
    expect(out.text()).toBe("+ web1: db-password\n");
  });
});
