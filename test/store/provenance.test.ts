import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isRekeyError } from "../../src/core/errors.js";
import type { HostRecord, OutputRecord } from "../../src/core/model.js";
import { parseHostRecord, parseSourceRecords, renderHostRecord, renderSourceRecords } from "../../src/store/provenance.js";

const hex = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString("hex"));
const name = fc.string({ minLength: 1, maxLength: 30, unit: "grapheme" });
const record = fc.record({ source: hex, output: hex, recipient: fc.string({ minLength: 1, maxLength: 60 }) });
const hostRecord = fc.record({
  host: fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,20}$/),
  outputs: fc.dictionary(name, record, { maxKeys: 20 }).map((d) => new Map<string, OutputRecord>(Object.entries(d))),
});

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
});
