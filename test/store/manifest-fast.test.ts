import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { SecretDecl } from "../../src/core/model.js";
import { parseSimpleManifest } from "../../src/store/manifest-fast.js";
import { loadHosts } from "../../src/store/manifests.js";
import { memoryFiles } from "../helpers/memory-files.js";

const name = fc.oneof(
  fc.stringMatching(/^[A-Za-z_][A-Za-z0-9._/-]{0,20}$/),
  fc.constantFrom("true", "No", "null", "on", "y", "db-password", "tls/web.key", "0x10", "123", "1e5", ".inf", "a b", "a#b", "'q'", "*"),
);
const pubkey = fc.constantFrom(
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGKXYIMIxFfmgFr7zsANeSjMp9/s4pSta2Lvbb79gIjg root@web1",
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGKXYIMIxFfmgFr7zsANeSjMp9/s4pSta2Lvbb79gIjg",
  "age16ws269sc4hnpuwvchqwl5f0ej6ax2ff9q263rn6ftjeefrws2u7svxavcr",
  "ssh-ed25519 AAAA key # comment",
  '"quoted"',
  "ssh-ed25519 AAAA a: b",
  "{file: keys/x.pub}",
);
const entry = fc.tuple(name, fc.constantFrom(": {}", ":", ":  {}  ", ": {owner: x}", ": {} # c", ": []")).map(([n, rest]) => `  ${n}${rest}`);
const manifest = fc
  .tuple(
    pubkey,
    fc.option(fc.constantFrom("native", "x25519", "other"), { nil: undefined }),
    fc.array(entry, { maxLength: 8 }),
    fc.constantFrom("", "# header\n", "\n"),
    fc.boolean(),
  )
  .map(([key, stanza, entries, head, secretsFirst]) => {
    const top = [`pubkey: ${key}`, ...(stanza === undefined ? [] : [`stanza: ${stanza}`])];
    const sec = ["secrets:", ...entries];
    return head + (secretsFirst ? [...sec, ...top] : [...top, ...sec]).join("\n") + "\n";
  });

describe("the simple-manifest fast path", () => {
  it("agrees with the YAML parser on every manifest it accepts", () => {
    let accepted = 0;
    fc.assert(
      fc.property(manifest, (text) => {
        const fast = parseSimpleManifest(text);
        if (fast === null) return;
        accepted++;
        const doc = parse(text, { uniqueKeys: true }) as { pubkey: unknown; stanza?: unknown; secrets: Record<string, unknown> | null };
        expect(fast.pubkey.text).toBe(doc.pubkey);
        expect(fast.stanza).toBe(doc.stanza ?? "native");
        const yamlSecrets = Object.entries(doc.secrets ?? {});
        expect(fast.secrets.map((s) => s.name).sort()).toEqual(yamlSecrets.map(([k]) => k).sort());
        for (const [, v] of yamlSecrets) expect(v === null || (typeof v === "object" && Object.keys(v).length === 0)).toBe(true);
        for (const s of fast.secrets) expect(text.split("\n")[s.line - 1]).toContain(`  ${s.name}:`);
      }),
      { numRuns: 2000 },
    );
    expect(accepted).toBeGreaterThan(50); // the generator does reach the fast path
  });

  it("leaves everything else to the YAML path", () => {
    for (const text of [
      "pubkey: ssh-ed25519 AAAA\r\nsecrets:\r\n  a: {}\r\n",
      "pubkey: ssh-ed25519 AAAA\nsecrets:\n  a: {}\n  a: {}\n",
      "pubkey: ssh-ed25519 AAAA\nsecrets:\n  true: {}\n",
      "pubkey: ssh-ed25519 AAAA\nsecrets:\n  a: {generator: alnum}\n",
      "pubkey: ssh-ed25519 AAAA\nsecrets:\n  \"tls/*\": {}\n",
      "pubkey: ssh-ed25519 AAAA\nextra: 1\n",
      "secrets:\n  a: {}\n",
      "pubkey: {file: keys/web1.pub}\n",
    ]) {
      expect(parseSimpleManifest(text), text).toBeNull();
    }
  });

  it("loads the same declarations as the YAML path, field for field", () => {
    // The YAML path refuses nothing the fast path takes; CRLF line ends send the same
    // manifest down the YAML path, with the same lines and columns.
    const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGKXYIMIxFfmgFr7zsANeSjMp9/s4pSta2Lvbb79gIjg";
    const text = `# a fleet host\npubkey: ${key} root@web\nsecrets:\n  web/tls.key: {}\n  db:\n  api-token: {}\n`;
    const load = (manifest: string) => {
      const files = { "hosts/web.yaml": new TextEncoder().encode(manifest), "hosts/web2.yaml": new TextEncoder().encode(manifest) };
      return loadHosts("/nonexistent", "hosts", new Set(["web/tls.key", "db", "api-token"]), memoryFiles(files));
    };
    expect(parseSimpleManifest(text)).not.toBeNull();
    expect(parseSimpleManifest(text.replaceAll("\n", "\r\n"))).toBeNull();
    const fields = (d: SecretDecl) => ({ name: d.name, generator: d.generator, dependencies: [...d.dependencies], intermediary: d.intermediary, tags: [...d.tags], meta: { ...d.meta }, at: d.at });
    const fast = load(text);
    const slow = load(text.replaceAll("\n", "\r\n"));
    expect(fast.map((h) => h.secrets.map(fields))).toEqual(slow.map((h) => h.secrets.map(fields)));
    expect(fast[0]!.secrets.map((d) => d.at)).toEqual([
      { file: "hosts/web.yaml", line: 6, col: 3 },
      { file: "hosts/web.yaml", line: 5, col: 3 },
      { file: "hosts/web.yaml", line: 4, col: 3 },
    ]);
    // Sorted by name, as the YAML path sorts them.
    expect(fast[0]!.secrets.map((d) => d.name)).toEqual(["api-token", "db", "web/tls.key"]);
  });

  it("keeps each host's declarations apart in the load's shared pool, lines past 65,535 included", () => {
    // Hosts share one array of 16-bit integers, widened when a line needs more; a host's lines
    // are stored only when they do not follow each other in name order.
    const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGKXYIMIxFfmgFr7zsANeSjMp9/s4pSta2Lvbb79gIjg";
    const names = ["a", "b", "c", "d"];
    const manifests: Record<string, string> = {
      "hosts/h1.yaml": `pubkey: ${key}\nsecrets:\n  a: {}\n  b: {}\n  c: {}\n`, // in order: lines not stored
      "hosts/h2.yaml": `pubkey: ${key}\nsecrets:\n  d: {}\n  a: {}\n`, // out of order: lines stored
      "hosts/h3.yaml": `${"# padding\n".repeat(70_000)}pubkey: ${key}\nsecrets:\n  c: {}\n  b: {}\n`, // widens the pool
      "hosts/h4.yaml": `${"# padding\n".repeat(70_000)}pubkey: ${key}\nsecrets:\n  a: {}\n  d: {}\n`,
      "hosts/h5.yaml": `pubkey: ${key}\nsecrets:\n  b: {}\n  a: {}\n  d: {}\n`,
    };
    const load = (crlf: boolean) => {
      const files = Object.fromEntries(Object.entries(manifests).map(([f, t]) => [f, new TextEncoder().encode(crlf ? t.replaceAll("\n", "\r\n") : t)]));
      return loadHosts("/nonexistent", "hosts", new Set(names), memoryFiles(files)).map((h) => h.secrets.map((d) => `${d.name}@${d.at.file}:${d.at.line}`));
    };
    const fast = load(false);
    expect(fast).toEqual(load(true)); // the YAML path, which keeps each declaration as an object
    expect(fast[2]).toEqual(["b@hosts/h3.yaml:70004", "c@hosts/h3.yaml:70003"]);
    expect(fast[4]).toEqual(["a@hosts/h5.yaml:4", "b@hosts/h5.yaml:3", "d@hosts/h5.yaml:5"]);
  });
});
