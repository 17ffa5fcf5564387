import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseSimpleManifest } from "../../src/store/manifest-fast.js";

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
});
