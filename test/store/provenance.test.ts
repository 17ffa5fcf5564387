import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isRekeyError } from "../../src/core/errors.js";
import type { HostRecord, OutputRecord, SourceRecord } from "../../src/core/model.js";
import { parseHostRecord, parseSourceRecords, renderHostRecord, renderSourceRecords } from "../../src/store/provenance.js";

const hex = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString("hex"));
const name = fc.string({ minLength: 1, maxLength: 30, unit: "grapheme" });
const record = fc.record({ source: hex, output: hex, recipient: fc.string({ minLength: 1, maxLength: 60 }) });
const hostRecord = fc.record({
  host: fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,20}$/),
  outputs: fc.dictionary(name, record, { maxKeys: 20 }).map((d) => new Map<string, OutputRecord>(Object.entries(d))),
});

const anyText = fc.oneof(name, fc.string({ maxLength: 12, unit: "binary" }));
const sourceRecords = fc
  .array(
    fc.tuple(
      anyText,
      fc.record({
        masterRecipients: fc.array(anyText, { maxLength: 3 }),
        generated: fc.option(fc.record({ generator: anyText, dependencies: fc.array(fc.tuple(anyText, hex), { maxLength: 3 }).map((d) => Object.fromEntries(d)) }), { nil: undefined }),
      }),
    ),
    { maxLength: 8 },
  )
  .map((entries) => new Map<string, SourceRecord>(entries));

/** The same record with a document marker first: YAML reads it alike, the line readers hand it to the YAML path. */
function viaYaml(rendered: string): string {
  return `---\n${rendered}`;
}

function plain(r: HostRecord) {
  return { host: r.host, outputs: [...r.outputs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) };
}

describe("host provenance records", () => {
  it("parse(render(r)) = r for any record, names with quotes, backslashes and unicode included", () => {
    fc.assert(
      fc.property(hostRecord, (r) => {
        expect(plain(parseHostRecord("p.yaml", renderHostRecord(r)))).toEqual(plain(r));
      }),
      { numRuns: 300 },
    );
  });

  it("reads a rendered record without YAML exactly as the YAML path does", () => {
    fc.assert(
      fc.property(hostRecord, (r) => {
        const rendered = renderHostRecord(r);
        expect(plain(parseHostRecord("p.yaml", rendered))).toEqual(plain(parseHostRecord("p.yaml", viaYaml(rendered))));
      }),
      { numRuns: 200 },
    );
  });

  it("reads a record re-formatted by hand (the YAML path) the same as the rendered one", () => {
    const r: HostRecord = { host: "web1", outputs: new Map([["db", { source: "a".repeat(64), output: "b".repeat(64), recipient: "x25519:age1abc" }]]) };
    const reformatted = `host: web1\noutputs:\n  db:\n    source: "${"a".repeat(64)}"\n    output: "${"b".repeat(64)}"\n    recipient: x25519:age1abc\n`;
    expect(plain(parseHostRecord("p.yaml", reformatted))).toEqual(plain(r));
  });

  it("rejects a record whose digest is not hex SHA-256, naming the file", () => {
    const bad = renderHostRecord({ host: "web1", outputs: new Map([["db", { source: "a".repeat(64), output: "b".repeat(64), recipient: "r" }]]) }).replace("b".repeat(64), "zz");
    try {
      parseHostRecord("secrets/rekeyed/web1/provenance.yaml", bad);
      expect.unreachable();
    } catch (e) {
      expect(isRekeyError(e) && e.code).toBe("BAD_SOURCE");
      expect((e as Error).message).toContain("secrets/rekeyed/web1/provenance.yaml");
    }
  });

  it("round-trips the sources record", () => {
    const records = new Map([
      ["a", { masterRecipients: ["x25519:age1x"], generated: undefined }],
      ["b/c", { masterRecipients: ["x25519:age1x", "ssh-ed25519:SHA256:y"], generated: { generator: "htpasswd", dependencies: { a: "c".repeat(64) } } }],
    ]);
    expect(parseSourceRecords("s.yaml", renderSourceRecords(records))).toEqual(records);
  });

  it("reads a rendered sources record without YAML exactly as the YAML path does, and round-trips it", () => {
    fc.assert(
      fc.property(sourceRecords, (records) => {
        const rendered = renderSourceRecords(records);
        const fast = parseSourceRecords("s.yaml", rendered);
        expect(fast).toEqual(parseSourceRecords("s.yaml", viaYaml(rendered)));
        expect(fast).toEqual(records);
      }),
      { numRuns: 300 },
    );
  });

  it("keeps a dependency named __proto__ as a key, on the fast path and the YAML path (CI seed -2134096994)", () => {
    const dependencies = Object.fromEntries([["__proto__", "0".repeat(64)]]);
    const records = new Map([["", { masterRecipients: [], generated: { generator: " ", dependencies } }]]);
    const rendered = renderSourceRecords(records);
    for (const parsed of [parseSourceRecords("s.yaml", rendered), parseSourceRecords("s.yaml", viaYaml(rendered))]) {
      const got = parsed.get("")!.generated!.dependencies;
      expect(Object.keys(got)).toEqual(["__proto__"]);
      expect(Object.getPrototypeOf(got)).toBe(Object.prototype);
      expect(parsed).toEqual(records);
    }
  });

  it("hands a sources record it does not recognize to the YAML path", () => {
    const digest = "c".repeat(64);
    const line = (deps: string) => `sources:\n  "a": {master: ["m"], generator: "g", dependencies: {${deps}}}\n`;
    expect(parseSourceRecords("s.yaml", line(`"d": "${digest}", "e": "${digest}"`)).get("a")?.generated?.dependencies).toEqual({ d: digest, e: digest });
    expect(() => parseSourceRecords("s.yaml", line(`"d": "${digest}", "d": "${digest}"`))).toThrow(/s\.yaml/); // a duplicate key
    expect(() => parseSourceRecords("s.yaml", `sources:\n  "a": {master: ["m"]}\n  "a": {master: ["m"]}\n`)).toThrow(/s\.yaml/);
    expect(() => parseSourceRecords("s.yaml", "sources:\n")).toThrow(/sources/);
    expect(parseSourceRecords("s.yaml", `sources:\n  a:\n    master: [m]\n`)).toEqual(new Map([["a", { masterRecipients: ["m"], generated: undefined }]]));
  });
});
