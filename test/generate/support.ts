/** Builders for generator tests: inputs with real or scripted randomness, and temp folders. */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { GeneratorInput } from "../../src/generate/contract.js";

/** A generator input for `secret` with secure randomness; override any field. */
export function anInput(secret: string, overrides: Partial<GeneratorInput> = {}): GeneratorInput {
  return {
    secret,
    settings: {},
    random: (n) => new Uint8Array(randomBytes(n)),
    dependencies: new Map(),
    hosts: ["web1"],
    ...overrides,
  };
}

/** A random source that replays `bytes` (then zeros) and counts what was drawn. */
export function scriptedRandom(bytes: readonly number[]): { random: (n: number) => Uint8Array; drawn: () => number } {
  let at = 0;
  return {
    random: (n) => {
      const out = Uint8Array.from({ length: n }, (_, i) => bytes[at + i] ?? 0);
      at += n;
      return out;
    },
    drawn: () => at,
  };
}

/** Text of a string-or-bytes output. */
export function text(value: Uint8Array | string | undefined): string {
  if (value === undefined) throw new Error("no value");
  return typeof value === "string" ? value : new TextDecoder().decode(value);
}

/** A fresh temp folder, and a function that deletes it. */
export function aTempDir(prefix = "rekey-gen-"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
