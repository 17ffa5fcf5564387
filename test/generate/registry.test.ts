import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RekeyError } from "../../src/core/errors.js";
import { builtinGenerators, resolveGenerator } from "../../src/generate/registry.js";
import { aTempDir, anInput } from "./support.js";

let repo: { dir: string; cleanup: () => void };
let options: { generatorsDir: string; repoRoot: string };
beforeEach(() => {
  repo = aTempDir("rekey-registry-");
  options = { generatorsDir: join(repo.dir, "generators"), repoRoot: repo.dir };
});
afterEach(() => repo.cleanup());

function plugin(file: string, source = "export default { generate: () => ({ secret: 'x' }) };"): void {
  mkdirSync(options.generatorsDir, { recursive: true });
  writeFileSync(join(options.generatorsDir, file), source);
}

async function failure(promise: Promise<unknown>): Promise<RekeyError> {
  const e: unknown = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof RekeyError)) throw new Error(`expected a RekeyError, got ${String(e)}`);
  return e;
}

describe("builtinGenerators", () => {
  it("has the nine built-ins, keyed by their own names, each with validate and a description", () => {
    const all = builtinGenerators();
    expect([...all.keys()]).toEqual(["age", "alnum", "base64", "hex", "htpasswd", "nix-signing-key", "passphrase", "ssh-ed25519", "wireguard"]);
    for (const [name, gen] of all) {
      expect(gen.name).toBe(name);
      expect(typeof gen.validate).toBe("function");
      expect(gen.description).toBeTruthy();
    }
  });

  it("every built-in validates its defaults and generates a non-empty secret", async () => {
    const required: Record<string, Record<string, unknown>> = { htpasswd: { user: "u", cost: 4 }, "nix-signing-key": { keyName: "k-1" } };
    for (const [name, gen] of builtinGenerators()) {
      const settings = required[name] ?? {};
      expect(gen.validate?.(settings)).toEqual([]);
      const deps = new Map([["pw", new TextEncoder().encode("hunter2")]]);
      const out = await gen.generate(anInput("s", { settings, dependencies: deps }));
      expect(out.secret.length).toBeGreaterThan(0);
    }
  });
});

describe("resolveGenerator", () => {
  it("finds built-ins with no generators folder at all", async () => {
    expect((await resolveGenerator("alnum", options)).name).toBe("alnum");
  });

  it("loads a user plugin by name", async () => {
    plugin("token.mjs");
    expect((await resolveGenerator("token", options)).name).toBe("token");
  });

  it("refuses a plugin that shadows a built-in", async () => {
    plugin("alnum.mjs");
    const e = await failure(resolveGenerator("hex", options));
    expect(e.code).toBe("GENERATOR_FAILED");
    expect(e.message).toBe("generators/alnum.mjs shadows the built-in alnum generator");
    expect(e.file).toBe("generators/alnum.mjs");
  });

  it("refuses two files with one name", async () => {
    plugin("token.mjs");
    plugin("token.ts");
    const e = await failure(resolveGenerator("token", options));
    expect(e.message).toBe("generator token is defined twice: generators/token.mjs and generators/token.ts");
  });

  it("gives UNKNOWN_GENERATOR listing built-ins and user plugins", async () => {
    plugin("token.mjs");
    plugin("pin.js");
    const e = await failure(resolveGenerator("tokn", options));
    expect(e.code).toBe("UNKNOWN_GENERATOR");
    expect(e.message).toBe('unknown generator "tokn"');
    expect(e.hint).toBe(
      "Use a built-in (age, alnum, base64, hex, htpasswd, nix-signing-key, passphrase, ssh-ed25519, wireguard), a plugin in generators/ (pin, token), or write generators/tokn.mjs.",
    );
  });

  it("never treats a path as a plugin name", async () => {
    plugin("token.mjs");
    const e = await failure(resolveGenerator("../generators/token", options));
    expect(e.code).toBe("UNKNOWN_GENERATOR");
  });
});
