import { wordlist } from "@scure/bip39/wordlists/english.js";
import { describe, expect, it } from "vitest";
import { alnum } from "../../src/generate/builtins/alnum.js";
import { base64 } from "../../src/generate/builtins/base64.js";
import { hex } from "../../src/generate/builtins/hex.js";
import { passphrase } from "../../src/generate/builtins/passphrase.js";
import type { Generator } from "../../src/generate/contract.js";
import { anInput, text } from "./support.js";

async function secrets(gen: Generator, settings: Record<string, unknown>, runs: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < runs; i++) out.push(text((await gen.generate(anInput("s", { settings }))).secret));
  return out;
}

describe("alnum", () => {
  it("gives 32 characters of [A-Za-z0-9] by default, all distinct over 1000 runs, using every character", async () => {
    const all = await secrets(alnum, {}, 1000);
    for (const s of all) expect(s).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(new Set(all).size).toBe(1000);
    expect(new Set(all.join("")).size).toBe(62);
  });

  it("honours length at both ends of its range", async () => {
    expect((await secrets(alnum, { length: 8 }, 1))[0]).toMatch(/^[A-Za-z0-9]{8}$/);
    expect((await secrets(alnum, { length: 4096 }, 1))[0]).toHaveLength(4096);
  });

  it("reports unknown keys, wrong types and out-of-range values", () => {
    expect(alnum.validate?.({})).toEqual([]);
    expect(alnum.validate?.({ lenght: 12 })).toEqual(['unknown setting "lenght": alnum accepts only length']);
    expect(alnum.validate?.({ length: "32" })).toEqual(['setting "length" must be an integer, got "32" (a string)']);
    expect(alnum.validate?.({ length: 7.5 })).toEqual(["setting \"length\" must be an integer, got 7.5 (a number)"]);
    expect(alnum.validate?.({ length: 7 })).toEqual(['setting "length" must be between 8 and 4096, got 7']);
    expect(alnum.validate?.({ length: 4097 })).toEqual(['setting "length" must be between 8 and 4096, got 4097']);
  });

  it("refuses to generate with invalid settings", () => {
    expect(() => alnum.generate(anInput("s", { settings: { length: 3 } }))).toThrow(/between 8 and 4096/);
  });
});

describe("hex and base64", () => {
  it("hex gives 2 lowercase hex digits per byte, 32 bytes by default, all distinct", async () => {
    const all = await secrets(hex, {}, 1000);
    for (const s of all) expect(s).toMatch(/^[0-9a-f]{64}$/);
    expect(new Set(all).size).toBe(1000);
    expect((await secrets(hex, { bytes: 16 }, 1))[0]).toMatch(/^[0-9a-f]{32}$/);
  });

  it("base64 gives standard padded base64 of 32 bytes by default, all distinct", async () => {
    const all = await secrets(base64, {}, 1000);
    for (const s of all) {
      expect(s).toMatch(/^[A-Za-z0-9+/]{43}=$/);
      expect(Buffer.from(s, "base64")).toHaveLength(32);
    }
    expect(new Set(all).size).toBe(1000);
    expect((await secrets(base64, { bytes: 10 }, 1))[0]).toMatch(/^[A-Za-z0-9+/]{14}==$/);
  });

  it("validate catches bad bytes settings", () => {
    expect(hex.validate?.({ bytes: 0 })).toEqual(['setting "bytes" must be between 8 and 4096, got 0']);
    expect(base64.validate?.({ bytes: null })).toEqual(['setting "bytes" must be an integer, got null (null)']);
    expect(base64.validate?.({ length: 12 })).toEqual(['unknown setting "length": base64 accepts only bytes']);
  });
});

describe("passphrase", () => {
  const words = new Set(wordlist);

  it("gives 6 BIP-39 words joined by '-' by default, all distinct over 1000 runs", async () => {
    expect(wordlist).toHaveLength(2048);
    const all = await secrets(passphrase, {}, 1000);
    for (const s of all) {
      const parts = s.split("-");
      expect(parts).toHaveLength(6);
      for (const w of parts) expect(words.has(w)).toBe(true);
    }
    expect(new Set(all).size).toBe(1000);
    // 6000 draws from 2048 words: a uniform sampler touches most of the list.
    expect(new Set(all.flatMap((s) => s.split("-"))).size).toBeGreaterThan(1800);
  });

  it("honours words and separator", async () => {
    const [s] = await secrets(passphrase, { words: 3, separator: " " }, 1);
    expect(s?.split(" ")).toHaveLength(3);
    const [joined] = await secrets(passphrase, { words: 4, separator: "" }, 1);
    expect(joined).toMatch(/^[a-z]+$/);
  });

  it("validate catches bad words and separators", () => {
    expect(passphrase.validate?.({ words: 2 })).toEqual(['setting "words" must be between 3 and 64, got 2']);
    expect(passphrase.validate?.({ words: 65, separator: 1 })).toEqual([
      'setting "words" must be between 3 and 64, got 65',
      'setting "separator" must be a string, got 1 (a number)',
    ]);
    expect(passphrase.validate?.({ separator: "\n" })[0]).toMatch(/^setting "separator" must be at most 16 characters, no control characters/);
  });
});
