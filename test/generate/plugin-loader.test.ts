import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RekeyError } from "../../src/core/errors.js";
import type { Generator } from "../../src/generate/contract.js";
import { listPluginFiles, loadPlugin, pluginFileOf, runGenerator } from "../../src/generate/plugin-loader.js";
import { aTempDir, anInput, text } from "./support.js";

let repo: { dir: string; cleanup: () => void };
beforeEach(() => {
  repo = aTempDir("rekey-plugins-");
});
afterEach(() => repo.cleanup());

/** Writes generators/<file> in the temp repository and returns its absolute path. */
function plugin(file: string, source: string): string {
  const path = join(repo.dir, file);
  writeFileSync(path, source);
  return path;
}

/** The RekeyError that `promise` rejects with. */
async function failure(promise: Promise<unknown>): Promise<RekeyError> {
  const e: unknown = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof RekeyError)) throw new Error(`expected a RekeyError, got ${String(e)}`);
  return e;
}

describe("the demo plugin generators/random-token.mjs", () => {
  const file = join(import.meta.dirname, "../../generators/random-token.mjs");

  it("loads, validates and makes tok_ + base62 tokens", async () => {
    const gen = await loadPlugin(file, { repoRoot: join(import.meta.dirname, "../..") });
    expect(gen.name).toBe("random-token");
    expect(pluginFileOf(gen)).toBe("generators/random-token.mjs");
    expect(gen.validate?.({ length: 8, colour: "red" })).toEqual([
      'unknown setting "colour": random-token accepts only prefix, length',
      'setting "length" must be an integer between 16 and 256',
    ]);
    const tokens = new Set<string>();
    for (let i = 0; i < 200; i++) tokens.add(text((await runGenerator(gen, anInput("api/token"))).secret));
    expect(tokens.size).toBe(200);
    for (const t of tokens) expect(t).toMatch(/^tok_[0-9A-Za-z]{32}$/);
    const custom = await runGenerator(gen, anInput("api/token", { settings: { prefix: "sk_live_", length: 40 } }));
    expect(text(custom.secret)).toMatch(/^sk_live_[0-9A-Za-z]{40}$/);
  });
});

describe("loadPlugin", () => {
  it("loads an .mjs plugin given as a named export without a name", async () => {
    const gen = await loadPlugin(plugin("pin.mjs", "export const generator = { generate: () => ({ secret: '1234', public: new Uint8Array([1]) }) };"), { repoRoot: repo.dir });
    expect(gen.name).toBe("pin");
    const out = await runGenerator(gen, anInput("door"));
    expect(text(out.secret)).toBe("1234");
    expect(out.public).toEqual(new Uint8Array([1]));
  });

  it("loads a .ts plugin by transpiling it in memory", async () => {
    const file = plugin(
      "typed.ts",
      [
        'import type { Generator } from "rekey";',
        "interface Settings { readonly word?: string }",
        "const gen: Generator = {",
        '  name: "typed",',
        "  generate: async (input) => ({ secret: `${(input.settings as Settings).word ?? 'x'}:${input.random(2).length}:${input.hosts.join(',')}` }),",
        "};",
        "export default gen;",
      ].join("\n"),
    );
    const gen = await loadPlugin(file, { repoRoot: repo.dir });
    const out = await runGenerator(gen, anInput("t", { settings: { word: "hi" }, hosts: ["a", "b"] }));
    expect(text(out.secret)).toBe("hi:2:a,b");
  });

  it("reports a .ts syntax error with its position", async () => {
    const e = await failure(loadPlugin(plugin("broken.ts", "export default { generate( => 1 };"), { repoRoot: repo.dir }));
    expect(e.code).toBe("GENERATOR_FAILED");
    expect(e.message).toMatch(/^generator plugin broken\.ts failed to load: .+ at line 1, column \d+$/);
    expect(e.file).toBe("broken.ts");
  });

  it("explains that a .ts plugin cannot import relative files, without printing its data: URL", async () => {
    const e = await failure(loadPlugin(plugin("rel.ts", "import { x } from './other.js';\nexport default { generate: () => ({ secret: x }) };"), { repoRoot: repo.dir }));
    expect(e.code).toBe("GENERATOR_FAILED");
    expect(e.message).toMatch(/^generator plugin rel\.ts failed to load: .*"\.\/other\.js".* from "rel\.ts"/);
    expect(e.message).not.toContain("data:");
    expect(e.hint).toMatch(/use \.mjs to import packages or relative files/);
  });

  it("turns a throw at import into GENERATOR_FAILED naming the file and the cause", async () => {
    const e = await failure(loadPlugin(plugin("boom.mjs", "throw new Error('no API key in env');"), { repoRoot: repo.dir }));
    expect(e.code).toBe("GENERATOR_FAILED");
    expect(e.message).toBe("generator plugin boom.mjs failed to load: no API key in env");
    expect(e.file).toBe("boom.mjs");
  });

  it("rejects a module without a generate function, or with another name", async () => {
    const none = await failure(loadPlugin(plugin("empty.mjs", "export default { name: 'empty' };"), { repoRoot: repo.dir }));
    expect(none.code).toBe("GENERATOR_FAILED");
    expect(none.message).toMatch(/^generator plugin empty\.mjs exports no generator/);
    expect(none.file).toBe("empty.mjs");
    const named = await failure(loadPlugin(plugin("a.mjs", "export default { name: 'b', generate() { return { secret: 'x' }; } };"), { repoRoot: repo.dir }));
    expect(named.message).toBe('generator plugin a.mjs exports a generator named "b", but its file name says "a"');
  });

  it("lists plugins by name, ignoring other files", async () => {
    for (const f of ["a.mjs", "b.ts", "b.d.ts", "c.js", "README.md", ".hidden.mjs"]) plugin(f, "");
    const found = await listPluginFiles(repo.dir);
    expect([...found.keys()]).toEqual(["a", "b", "c"]);
    expect(await listPluginFiles(join(repo.dir, "missing"))).toEqual(new Map());
  });
});

describe("runGenerator", () => {
  const builtinLike = (generate: Generator["generate"]): Generator => ({ name: "inline", generate });

  it("wraps a throw in generate as GENERATOR_FAILED naming the secret and the plugin file", async () => {
    const gen = await loadPlugin(plugin("flaky.mjs", "export default { generate() { throw new Error('vault unreachable'); } };"), { repoRoot: repo.dir });
    const e = await failure(runGenerator(gen, anInput("db/password")));
    expect(e.code).toBe("GENERATOR_FAILED");
    expect(e.message).toBe("generator flaky (flaky.mjs) for secret db/password failed: vault unreachable");
    expect(e.file).toBe("flaky.mjs");
  });

  it("times out a generator that never settles", async () => {
    const gen = await loadPlugin(plugin("hang.mjs", "export default { generate: () => new Promise(() => {}) };"), { repoRoot: repo.dir });
    const started = Date.now();
    const e = await failure(runGenerator(gen, anInput("slow"), { timeoutMs: 200 }));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(e.code).toBe("GENERATOR_FAILED");
    expect(e.message).toBe("generator hang (hang.mjs) for secret slow timed out after 200 ms");
    expect(e.file).toBe("hang.mjs");
  });

  it("says seconds for whole-second limits", async () => {
    const e = await failure(runGenerator(builtinLike(() => new Promise(() => {})), anInput("s"), { timeoutMs: 1000 }));
    expect(e.message).toBe("generator inline for secret s timed out after 1 s");
  });

  it("rejects empty and malformed secrets", async () => {
    const empty = await failure(runGenerator(builtinLike(() => ({ secret: "" })), anInput("s")));
    expect(empty.message).toBe("generator inline for secret s returned an empty secret");
    const wrong = await failure(runGenerator(builtinLike(() => ({ secret: 42 }) as never), anInput("s")));
    expect(wrong.message).toBe("generator inline for secret s secret must be a string or a Uint8Array, got number");
    const none = await failure(runGenerator(builtinLike(() => undefined as never), anInput("s")));
    expect(none.message).toBe("generator inline for secret s returned no { secret } object");
  });

  it("checks settings with validate before generating", async () => {
    let called = false;
    const gen: Generator = { name: "strict", validate: () => ["setting \"x\" is wrong"], generate: () => ((called = true), { secret: "s" }) };
    const e = await failure(runGenerator(gen, anInput("s", { settings: { x: 1 } })));
    expect(e.message).toBe('generator strict for secret s has invalid settings: setting "x" is wrong');
    expect(called).toBe(false);
  });

  it("returns bytes: strings are UTF-8 encoded, byte arrays copied", async () => {
    const bytes = new Uint8Array([9, 8, 7]);
    const out = await runGenerator(builtinLike(() => ({ secret: "é", public: bytes })), anInput("s"));
    expect(out.secret).toEqual(new Uint8Array([0xc3, 0xa9]));
    expect(out.public).toEqual(bytes);
    expect(out.public).not.toBe(bytes);
  });
});
