/**
 * Property-based fuzzing of every parser of untrusted input: whatever the bytes, each one
 * returns a value or throws a RekeyError, never another exception (which the CLI would
 * report as an internal error with a stack). Inputs are random text, and valid samples
 * that are mutated (bytes flipped, inserted, deleted, truncated, duplicated).
 *
 * FUZZ_RUNS (default 150) sets the runs per property.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { isRekeyError } from "../../src/core/errors.js";
import { decrypt, encrypt, generateX25519Identity, parseIdentities, parseRecipient, readHeader, sshPrivateKeyToAge, sshPublicKeyToAge, x25519RecipientOf } from "../../src/crypto/index.js";
import { parseConfig } from "../../src/store/config.js";
import { loadHosts } from "../../src/store/manifests.js";
import { parsePlanFile } from "../../src/store/plan-file.js";
import { parseHostRecord, parseSourceRecords } from "../../src/store/provenance.js";
import { memoryFiles } from "../helpers/memory-files.js";

const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const fixtures = path.resolve(import.meta.dirname, "../fixtures/crypto");
const fixture = (name: string) => readFileSync(path.join(fixtures, name), "utf8");

/** Calls `fn`; an exception that is not a RekeyError fails the property with its stack. */
async function valueOrRekeyError(fn: () => unknown): Promise<void> {
  try {
    await fn();
  } catch (e) {
    if (!isRekeyError(e)) throw new Error(`not a RekeyError: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    expect(e.message.length).toBeGreaterThan(0);
  }
}

/** Mutations of a valid sample: the inputs most likely to reach deep into a parser. */
function mutated(sample: Uint8Array): fc.Arbitrary<Uint8Array> {
  const edit = fc.oneof(
    fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.nat(7) }),
    fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 8 }) }),
    fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), n: fc.integer({ min: 1, max: 16 }) }),
    fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
    fc.record({ kind: fc.constant("repeat" as const), at: fc.nat(), n: fc.integer({ min: 1, max: 64 }) }),
  );
  return fc.array(edit, { minLength: 1, maxLength: 4 }).map((edits) => {
    let b = Buffer.from(sample);
    for (const e of edits) {
      const at = b.length === 0 ? 0 : e.at % b.length;
      if (e.kind === "flip") b[at] = (b[at] ?? 0) ^ (1 << e.bit);
      else if (e.kind === "insert") b = Buffer.concat([b.subarray(0, at), e.bytes, b.subarray(at)]);
      else if (e.kind === "delete") b = Buffer.concat([b.subarray(0, at), b.subarray(at + e.n)]);
      else if (e.kind === "truncate") b = b.subarray(0, at);
      else b = Buffer.concat([b.subarray(0, at + e.n), b.subarray(at)]);
    }
    return new Uint8Array(b);
  });
}

const text = (sample: string) =>
  fc.oneof(
    { weight: 3, arbitrary: mutated(new TextEncoder().encode(sample)).map((b) => Buffer.from(b).toString("utf8")) },
    { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 200 }) },
  );

/** YAML documents built from random JSON-like values under plausible keys. */
const yamlOf = (keys: readonly string[]) =>
  fc.dictionary(fc.oneof(fc.constantFrom(...keys), fc.string({ maxLength: 8 })), fc.jsonValue({ maxDepth: 4 }), { maxKeys: 6 }).map((v) => stringify(v));

/** Deep nesting, aliases and anchors: what a hostile YAML file would try. */
const deepYaml = fc.oneof(
  fc.tuple(fc.integer({ min: 1, max: 20_000 }), fc.constantFrom("[", "{a: ", "- ")).map(([n, open]) => `pubkey: ${open.repeat(n)}x${open === "[" ? "]".repeat(n) : open === "{a: " ? "}".repeat(n) : ""}\n`),
  fc.integer({ min: 1, max: 12 }).map((n) => `a: &a [x, x]\n${Array.from({ length: n }, (_, i) => `b${i}: &b${i} [*${i === 0 ? "a" : `b${i - 1}`}, *${i === 0 ? "a" : `b${i - 1}`}]`).join("\n")}\nsecrets: *b${n - 1}\n`),
);

const ageKey = generateX25519Identity();
const masterRecipient = x25519RecipientOf(ageKey);
const sshPub = fixture("id_ed25519.pub").trim();
const hostRecord = `host: "web"\noutputs:\n  "db": {source: "${"a".repeat(64)}", output: "${"b".repeat(64)}", recipient: "x25519:${masterRecipient}"}\n`;
const sourceRecords = `sources:\n  "db": {master: ["x25519:${masterRecipient}"]}\n  "gen": {master: ["x"], generator: "hex", dependencies: {"db": "${"c".repeat(64)}"}}\n`;
const planFile = JSON.stringify({ format_version: 1, kind: "rekey-plan", state: "d".repeat(64), filter: { hosts: [], secrets: ["x"] }, actions: [{ action: "create", host: "web", secret: "db", reason: "output missing" }] });
const config = `master:\n  recipients:\n    - ${masterRecipient}\n    - ${sshPub}\n  identities:\n    - ~/.config/rekey/master.txt\npaths:\n  secrets: secrets\n  output: secrets/rekeyed\n`;
const manifest = `pubkey: ${sshPub}\nstanza: native\nsecrets:\n  db: {owner: app, mode: "0400"}\n  "tls/*": {}\n  gen:\n    generator: {name: hex, bytes: 16}\n    dependencies: [db]\n    intermediary: true\n    tags: [a]\n`;

describe("fuzzing the parsers: a value or a RekeyError, never another exception", () => {
  const property = <T>(arb: fc.Arbitrary<T>, fn: (x: T) => unknown) => fc.assert(fc.asyncProperty(arb, (x) => valueOrRekeyError(() => fn(x))), { numRuns: RUNS });

  it("host manifests (loadHosts on an in-memory repository)", async () => {
    const hostText = fc.oneof(text(manifest), deepYaml, yamlOf(["pubkey", "stanza", "secrets"]), fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 3 })).map((s) => stringify({ pubkey: sshPub, secrets: s })));
    const names = fc.constantFrom("web", "db1", "a.b-c_d", "bad name", "..", "-x", "ü");
    await property(fc.tuple(fc.array(fc.tuple(names, hostText), { maxLength: 3 }), text(sshPub)), ([hosts, keyFile]) => {
      const files: Record<string, Uint8Array> = { "keys/web.pub": new TextEncoder().encode(keyFile) };
      for (const [name, body] of hosts) files[`hosts/${name}.yaml`] = new TextEncoder().encode(body);
      return loadHosts("/nonexistent", "hosts", new Set(["db", "tls/a", "tls/b"]), memoryFiles(files));
    });
  });

  it("rekey.yaml (parseConfig)", async () => {
    await property(fc.oneof(text(config), deepYaml, yamlOf(["master", "paths", "recipients", "identities"]), fc.record({ master: fc.record({ recipients: fc.array(fc.string()), identities: fc.array(fc.jsonValue({ maxDepth: 1 })) }), paths: fc.dictionary(fc.constantFrom("secrets", "hosts", "generators", "output", "x"), fc.jsonValue({ maxDepth: 1 })) }).map((v) => stringify(v))), parseConfig);
  });

  it("SSH and age public keys (parseRecipient, sshPublicKeyToAge)", async () => {
    await property(fc.tuple(fc.oneof(text(sshPub), text(masterRecipient), text(fixture("id_rsa.pub"))), fc.constantFrom("native" as const, "x25519" as const)), ([t, stanza]) => {
      parseRecipient(t, { stanza });
      return sshPublicKeyToAge(t);
    });
  });

  it("private keys and identity files (parseIdentities, sshPrivateKeyToAge)", async () => {
    const samples = [fixture("id_ed25519"), fixture("age-identities.txt"), fixture("id_ed25519_encrypted"), fixture("id_rsa"), ageKey];
    await property(fc.oneof(...samples.map(text)), (t) => {
      parseIdentities(t, "key");
      return sshPrivateKeyToAge(t, "key");
    });
  });

  it("age headers and files (readHeader, decrypt)", async () => {
    const identities = parseIdentities(ageKey, "master");
    const binary = await encrypt(new TextEncoder().encode("fuzz me"), [parseRecipient(masterRecipient), parseRecipient(sshPub)]);
    const { armor } = await import("age-encryption");
    const armored = new TextEncoder().encode(armor.encode(binary));
    await property(fc.oneof(mutated(binary), mutated(armored), fc.uint8Array({ maxLength: 300 })), async (b) => {
      readHeader(b);
      return decrypt(b, identities);
    });
  });

  it("provenance records (parseHostRecord, parseSourceRecords)", async () => {
    await property(fc.oneof(text(hostRecord), yamlOf(["host", "outputs"])), (t) => parseHostRecord("p.yaml", t));
    await property(fc.oneof(text(sourceRecords), yamlOf(["sources", "master", "generator", "dependencies"])), (t) => parseSourceRecords("p.yaml", t));
  });

  it("plan files (parsePlanFile)", async () => {
    const doc = fc.record({ format_version: fc.constantFrom(1, 2, "1"), kind: fc.constantFrom("rekey-plan", "x"), state: fc.constantFrom("d".repeat(64), "x"), filter: fc.jsonValue({ maxDepth: 2 }), actions: fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }) }, { requiredKeys: [] });
    await property(fc.oneof(text(planFile), doc.map((d) => JSON.stringify(d)), fc.jsonValue().map((v) => JSON.stringify(v))), (t) => parsePlanFile("p.plan", t));
  });
});
