/** The repository lock, raced by real child processes. */
import { spawn, type ChildProcess } from "node:child_process";
import { readFile, stat, utimes, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { acquireRepoLock } from "../../src/store/lock.js";
import { useTempDirs } from "../helpers/tmp.js";
import { compileStore } from "./compiled.js";

const tempDir = useTempDirs();
let lockUrl = "";
let cleanup: (() => Promise<void>) | undefined;

beforeAll(async () => {
  const compiled = await compileStore(["lock"]);
  lockUrl = compiled.urls.lock!;
  cleanup = compiled.cleanup;
});
afterAll(async () => cleanup?.());

/**
 * A child that waits until `startAt` (epoch ms, to make children race), takes the lock, logs
 * "<name> start|end <ms>" around holding it for `holdMs`, then releases it (or, with
 * `how` = "exit", just exits; with "hang", never lets go).
 */
const HOLDER = `
const [url, root, log, name, holdMs, waitMs, startAt, how] = process.argv.slice(1);
const { acquireRepoLock } = await import(url);
const { appendFileSync } = await import("node:fs");
const now = () => (performance.timeOrigin + performance.now()).toFixed(3);
await new Promise((r) => setTimeout(r, Math.max(0, Number(startAt) - Date.now())));
try {
  const lock = await acquireRepoLock(root, { waitMs: Number(waitMs), command: "rekey test " + name });
  appendFileSync(log, name + " start " + now() + "\\n");
  process.stdout.write("locked\\n");
  if (how === "hang") setInterval(() => {}, 1000);
  else {
    await new Promise((r) => setTimeout(r, Number(holdMs)));
    appendFileSync(log, name + " end " + now() + "\\n");
    if (how !== "exit") await lock.release();
  }
} catch (e) {
  process.stdout.write(JSON.stringify({ code: e.code, message: e.message }));
  process.exitCode = 3;
}
`;

interface Holder { child: ChildProcess; locked: Promise<void>; exited: Promise<{ code: number | null; out: string }> }

function startHolder(root: string, log: string, name: string, opts: { holdMs?: number; waitMs?: number; startAt?: number; how?: string } = {}): Holder {
  const args = [lockUrl, root, log, name, String(opts.holdMs ?? 200), String(opts.waitMs ?? 20_000), String(opts.startAt ?? 0), opts.how ?? "release"];
  const child = spawn(process.execPath, ["--input-type=module", "-e", HOLDER, ...args], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  const locked = new Promise<void>((resolve) => child.stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString();
    if (out.includes("locked\n")) resolve();
  }));
  const exited = new Promise<{ code: number | null; out: string }>((resolve) => child.on("exit", (code) => resolve({ code, out })));
  return { child, locked, exited };
}

/** Parses the shared log into [start, end] intervals, sorted by start. */
async function intervals(log: string): Promise<Array<{ name: string; start: number; end: number }>> {
  const byName = new Map<string, { name: string; start: number; end: number }>();
  for (const line of (await readFile(log, "utf8")).trim().split("\n")) {
    const [name = "", what, at] = line.split(" ");
    const entry = byName.get(name) ?? { name, start: NaN, end: NaN };
    entry[what === "start" ? "start" : "end"] = Number(at);
    byName.set(name, entry);
  }
  return [...byName.values()].sort((x, y) => x.start - y.start);
}

function expectNoOverlap(list: Array<{ start: number; end: number }>): void {
  for (let i = 1; i < list.length; i++) expect(list[i]!.start).toBeGreaterThanOrEqual(list[i - 1]!.end);
}

/** The pid of a process that has exited (so it is dead on this host). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await new Promise((resolve) => child.on("exit", resolve));
  return child.pid!;
}

const lockContent = (pid: number, host = hostname()): string =>
  JSON.stringify({ pid, host, started: "2024-01-01T00:00:00.000Z", command: "rekey apply" });

describe("acquireRepoLock across processes", () => {
  it("lets exactly one of four racing processes hold the lock at a time; the others wait, then proceed", async () => {
    const root = await tempDir();
    const log = path.join(root, "log");
    const startAt = Date.now() + 700;
    const holders = ["A", "B", "C", "D"].map((name) => startHolder(root, log, name, { holdMs: 150, startAt }));
    const results = await Promise.all(holders.map((h) => h.exited));
    expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0]);
    const list = await intervals(log);
    expect(list).toHaveLength(4);
    expectNoOverlap(list);
    expect(list.at(-1)!.start - list[0]!.start).toBeGreaterThanOrEqual(3 * 150); // they did wait for each other
    await expect(stat(path.join(root, ".rekey.lock"))).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("waits for a live holder, then takes the lock once it is released", async () => {
    const root = await tempDir();
    const log = path.join(root, "log");
    const holder = startHolder(root, log, "A", { holdMs: 800 });
    await holder.locked;
    const lock = await acquireRepoLock(root, { waitMs: 10_000 });
    const mine = await readFile(lock.path, "utf8");
    expect((await intervals(log))[0]!.end).toBeLessThanOrEqual(Date.now()); // A had finished
    expect(JSON.parse(mine)).toMatchObject({ pid: process.pid, host: hostname(), command: "rekey" });
    await lock.release();
    expect((await holder.exited).code).toBe(0);
  });

  it("fails with LOCKED naming the holder's pid and command once waitMs has passed", async () => {
    const root = await tempDir();
    const holder = startHolder(root, path.join(root, "log"), "A", { how: "hang" });
    await holder.locked;
    const t0 = Date.now();
    try {
      await expect(acquireRepoLock(root, { waitMs: 300 })).rejects.toMatchObject({
        code: "LOCKED",
        file: ".rekey.lock",
        message: expect.stringMatching(new RegExp(`^another rekey process \\(pid ${holder.child.pid}, \`rekey test A\`, started .+\\) holds the repository lock ${path.join(root, ".rekey.lock")}$`)),
        hint: expect.stringContaining("delete"),
      });
      expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    } finally {
      holder.child.kill("SIGKILL");
    }
  });

  it("recovers the lock of a SIGKILLed holder", async () => {
    const root = await tempDir();
    const holder = startHolder(root, path.join(root, "log"), "A", { how: "hang" });
    await holder.locked;
    holder.child.kill("SIGKILL");
    await holder.exited;
    expect(JSON.parse(await readFile(path.join(root, ".rekey.lock"), "utf8"))).toMatchObject({ pid: holder.child.pid });
    const lock = await acquireRepoLock(root, { waitMs: 0 });
    expect(JSON.parse(await readFile(lock.path, "utf8"))).toMatchObject({ pid: process.pid });
    await lock.release();
  });

  it("lets only one of four racing recoverers take over a dead process's lock", async () => {
    for (let round = 0; round < 3; round++) {
      const root = await tempDir();
      const log = path.join(root, "log");
      await writeFile(path.join(root, ".rekey.lock"), lockContent(await deadPid()));
      const startAt = Date.now() + 700;
      const holders = ["A", "B", "C", "D"].map((name) => startHolder(root, log, name, { holdMs: 100, startAt }));
      expect((await Promise.all(holders.map((h) => h.exited))).map((r) => r.code)).toEqual([0, 0, 0, 0]);
      const list = await intervals(log);
      expect(list).toHaveLength(4);
      expectNoOverlap(list);
    }
  });

  it("releases the lock when the process exits without calling release()", async () => {
    const root = await tempDir();
    const holder = startHolder(root, path.join(root, "log"), "A", { holdMs: 10, how: "exit" });
    expect((await holder.exited).code).toBe(0);
    await expect(stat(path.join(root, ".rekey.lock"))).rejects.toMatchObject({ code: "ENOENT" });
  });
});

describe("acquireRepoLock stale and foreign locks", () => {
  it("takes over a garbage lock older than 30 s, but waits on a fresh one", async () => {
    const root = await tempDir();
    const file = path.join(root, ".rekey.lock");
    await writeFile(file, "\0garbage{");
    await expect(acquireRepoLock(root, { waitMs: 250 })).rejects.toMatchObject({ code: "LOCKED", message: expect.stringContaining("unreadable") });
    const old = new Date(Date.now() - 60_000);
    await utimes(file, old, old);
    const lock = await acquireRepoLock(root, { waitMs: 0 });
    expect(JSON.parse(await readFile(file, "utf8"))).toMatchObject({ pid: process.pid });
    await lock.release();
  });

  it("does not judge another host's lock stale", async () => {
    const root = await tempDir();
    await writeFile(path.join(root, ".rekey.lock"), lockContent(await deadPid(), "some-other-host"));
    await expect(acquireRepoLock(root, { waitMs: 150 })).rejects.toMatchObject({ code: "LOCKED", message: expect.stringContaining("on some-other-host") });
  });

  it("removes a takeover guard abandoned by a recoverer that died, then recovers", async () => {
    const root = await tempDir();
    await writeFile(path.join(root, ".rekey.lock"), lockContent(await deadPid()));
    const guard = path.join(root, ".rekey.lock.takeover");
    await writeFile(guard, "12345\n");
    const old = new Date(Date.now() - 60_000);
    await utimes(guard, old, old);
    const lock = await acquireRepoLock(root, { waitMs: 2_000 });
    expect(JSON.parse(await readFile(lock.path, "utf8"))).toMatchObject({ pid: process.pid });
    await expect(stat(guard)).rejects.toMatchObject({ code: "ENOENT" });
    await lock.release();
  });

  it("removes the lock temp files of acquirers killed while taking the lock, and nothing else", async () => {
    const root = await tempDir();
    const left = [".rekey.lock.rekey-tmp-0123456789abcdef", ".rekey.lock.rekey-tmp-fedcba9876543210"];
    for (const name of left) await writeFile(path.join(root, name), lockContent(await deadPid()));
    await writeFile(path.join(root, "rekey.yaml"), "{}\n");
    const lock = await acquireRepoLock(root, { waitMs: 2_000 });
    for (const name of left) await expect(stat(path.join(root, name))).rejects.toMatchObject({ code: "ENOENT" });
    expect((await stat(path.join(root, "rekey.yaml"))).isFile()).toBe(true);
    await lock.release();
  });

  it("release is idempotent and never deletes someone else's lock", async () => {
    const root = await tempDir();
    const lock = await acquireRepoLock(root, { command: "rekey apply" });
    expect(lock.path).toBe(path.join(root, ".rekey.lock"));
    const theirs = lockContent(process.pid); // e.g. a takeover by another process after ours was judged stale
    await writeFile(lock.path, theirs);
    await lock.release();
    await lock.release();
    expect(await readFile(lock.path, "utf8")).toBe(theirs);
  });

  it("release removes our own lock, after which the lock can be taken again", async () => {
    const root = await tempDir();
    const first = await acquireRepoLock(root);
    await first.release();
    await expect(stat(first.path)).rejects.toMatchObject({ code: "ENOENT" });
    const second = await acquireRepoLock(root, { waitMs: 0 });
    await second.release();
  });
});
