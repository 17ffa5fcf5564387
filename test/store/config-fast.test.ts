import { readFileSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { isRekeyError } from "../../src/core/errors.js";
import { initRepo } from "../../src/ops/init.js";
import { parseSimpleConfig } from "../../src/store/config-fast.js";
import { parseConfig, parseConfigYaml } from "../../src/store/config.js";
import { projectRoot } from "../e2e/helpers.js";
import { useTempDirs } from "../helpers/tmp.js";

const AGE = "age1xua7nvxf0zcdykhhmm894n7eqcyvsfvly4kzj26fvcs98wg2kvyq8w6vg6";
const SSH = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGKXYIMIxFfmgFr7zsANeSjMp9/s4pSta2Lvbb79gIjg";

// Values the fast path takes, and near misses: words YAML reads as null, booleans or numbers,
// indicators, quotes and escapes, mappings, comments without a space, bad recipients and paths.
const VALUES = [
  ...[AGE, SSH, `${SSH} root@web1`, "keys/master.txt", "~/.config/rekey/master.txt", "secrets", "secrets/rekeyed/", "out//", "a  b", "a:b", "a - b", "x.y-z_w", "age1notakey"],
  ...['"~/.config/rekey/master.txt"', '"keys/a b.txt"', '" padded "', '"a # b"', "\"it's\""],
  ...["", "~", "null", "Null", "NULL", "true", "False", "TRUE", "yes", "No", "on", "off", "y", "n", "123", "0x1F", "0o17", "1e5", ".5", ".inf", "-.inf", ".NaN", "1password.txt"],
  ...["-x", "- x", "? x", ": x", "a: b", "a:", "a:#b", "a#b", "#x", "'q'", "'it''s'", '""', '" "', '"null"', '"a\\nb"', '"a\\"b"', '"a" x', '"a"#c', '"é"'],
  ...["&a x", "*a", "!tag x", "!!str x", "|", ">", "[a]", "{a: b}", "[]", "{}", "%x", "@x", "`x", "a, b", "a\\b", "<<", "="],
  ...["/abs", "../up", "a/../b", "./x", ".", "é", "a\tb", "a\rb", "x\u2028y", "x\u0085y"],
];
const COMMENTS = ["", " # c", "   # every source under secrets/", "#x", " #", " # é: 'x' [y]", "\t# tab", "  "];
const value = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...VALUES) }, { weight: 1, arbitrary: fc.stringMatching(/^[a-z~.][a-z0-9./:@=+ -]{0,12}$/) });
const comment = fc.oneof({ weight: 3, arbitrary: fc.constant("") }, { weight: 1, arbitrary: fc.constantFrom(...COMMENTS) });
const between = fc.constantFrom("", "   ", "# c", "  # c", "      # c", "\t", "---", "...", "  - stray", "    x: 1", "  extra: 1");
const item = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom("    - ", "    - ", "    - ", "    -  ", "  - ", "      - ", "    -", "\t- "), value, comment).map(([lead, v, c]) => lead + v + c) },
  { weight: 1, arbitrary: between },
);
const listKey = fc.constantFrom("recipients", "identities", "recipients", "identities", "recipient", "Identities", '"recipients"', "recipients ", "recipients: []", "identities: x");
const list = fc.tuple(listKey, comment, fc.array(item, { maxLength: 3 })).map(([k, c, items]) => [`  ${k}:${c}`, ...items]);
const master = fc.tuple(fc.constantFrom("master", "master", "master", "Master", "master ", "master: {}"), comment, fc.array(list, { maxLength: 3 })).map(([k, c, lists]) => [`${k}:${c}`, ...lists.flat()]);
const pathKey = fc.constantFrom("secrets", "hosts", "generators", "output", "secrets", "output", "outputs", "Secrets");
const pathLine = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom("  ", "  ", "   ", "    "), pathKey, fc.constantFrom(": ", ": ", ":  ", ":"), value, comment).map((parts) => parts.join("")) },
  { weight: 1, arbitrary: between },
);
const paths = fc.tuple(fc.constantFrom("paths", "paths", "path", "paths: {}"), comment, fc.array(pathLine, { maxLength: 4 })).map(([k, c, lines]) => [`${k}:${c}`, ...lines]);
const top = fc.oneof(
  { weight: 4, arbitrary: master },
  { weight: 2, arbitrary: paths },
  { weight: 1, arbitrary: fc.constantFrom("# comment", "", "%YAML 1.2", "extra: 1", "\uFEFF# bom", "- x").map((l) => [l]) },
);
const config = fc
  .tuple(fc.array(top, { maxLength: 4 }), fc.constantFrom("\n", "\n", "\n", "\r\n"), fc.boolean())
  .map(([blocks, eol, end]) => blocks.flat().join(eol) + (end ? eol : ""));

/** What parsing `text` gives: the Config, or the error's code and message. */
function outcome(read: (text: string) => unknown, text: string): unknown {
  try {
    return { value: read(text) };
  } catch (e) {
    if (!isRekeyError(e)) throw e;
    return { error: e.code, message: e.message };
  }
}

/**
 * Checks that the fast path reads `text` exactly as YAML does when it reads it at all, and
 * that parseConfig, fast path or not, is observably its YAML path (same Config or same
 * error). Returns whether the fast path read it.
 */
function agree(text: string): boolean {
  const fast = parseSimpleConfig(text);
  if (fast !== null) {
    const doc = parse(text, { uniqueKeys: true, strict: true }) as { master?: { recipients?: unknown; identities?: unknown }; paths?: unknown } | null;
    expect(Object.keys(doc ?? {}).filter((k) => k !== "master" && k !== "paths"), text).toEqual([]);
    expect(fast.recipients, text).toEqual(doc?.master?.recipients ?? []);
    expect(fast.identities, text).toEqual(doc?.master?.identities ?? []);
    expect(fast.paths, text).toEqual(doc?.paths ?? {});
  }
  expect(outcome(parseConfig, text), text).toEqual(outcome(parseConfigYaml, text));
  return fast !== null;
}

describe("the simple rekey.yaml fast path", () => {
  const tempDir = useTempDirs();

  it("agrees with the YAML parser on every file it accepts, and parseConfig with its YAML path on every file", () => {
    let accepted = 0;
    fc.assert(
      fc.property(config, (text) => {
        if (agree(text)) accepted++;
      }),
      { numRuns: 3000 },
    );
    expect(accepted).toBeGreaterThan(300); // the generator does reach the fast path
  });

  it("reads every value, key and comment form as YAML does", () => {
    const files: string[] = [];
    for (const v of VALUES) {
      for (const c of COMMENTS) files.push(`master:\n  identities:\n    - ${v}${c}\n`, `master:\n  recipients:\n    - ${v}${c}\n`, `paths:\n  output: ${v}${c}\n`);
    }
    for (const tail of [":", ":  ", ": # c", ":#c", " :", ": x", ": []", ": {}", ": ~", ":\t", ": &a"]) {
      files.push(`master${tail}\n  recipients:\n    - a\n`, `master:\n  recipients${tail}\n    - a\n`, `paths${tail}\n  hosts: h\n`, `paths:\n  hosts${tail}\n`);
    }
    let accepted = 0;
    for (const text of files) {
      if (agree(text)) accepted++;
    }
    expect(accepted).toBeGreaterThan(100);
  });

  it("reads random scalars as YAML does", () => {
    const char = fc.constantFrom(..."aZ09 _-./~@+=:#'\"\\!&*?|>%`,[]{}<\té".split(""));
    fc.assert(
      fc.property(fc.string({ unit: char, maxLength: 12 }), fc.constantFrom("    - ", "    -  "), (v, lead) => {
        agree(`master:\n  identities:\n${lead}${v}\n`);
        agree(`paths:\n  hosts: ${v}\n`);
      }),
      { numRuns: 3000 },
    );
  });

  it("reads the shipped rekey.yaml, the one `rekey init` writes and the common hand-written shapes", async () => {
    const files = [
      readFileSync(path.join(projectRoot, "rekey.yaml"), "utf8"),
      `master:\n  recipients:\n    - ${AGE}\n  identities:\n    - keys/master.txt\n`,
      `# comment\n\nmaster:\n  identities:   # tried in order\n    - "~/.config/rekey/master.txt"\n\n  recipients:\n    - ${SSH} admin@laptop   # mine\n    - ${AGE}\npaths:\n  secrets: secrets/\n  output: out/rekeyed # the outputs\n`,
      "# nothing yet\n",
      "",
    ];
    const dir = await tempDir();
    const home = await tempDir();
    await initRepo({ dir, env: { HOME: home }, now: new Date(0) });
    files.push(readFileSync(path.join(dir, "rekey.yaml"), "utf8"));
    const inRepo = await tempDir();
    await initRepo({ dir: inRepo, identity: path.join(inRepo, "keys/master.txt"), env: { HOME: home }, now: new Date(0) });
    files.push(readFileSync(path.join(inRepo, "rekey.yaml"), "utf8"));
    for (const text of files) {
      expect(parseSimpleConfig(text), text).not.toBeNull();
      expect(parseConfig(text)).toEqual(parseConfigYaml(text));
    }
    expect(parseSimpleConfig(files.at(-2)!)?.identities).toEqual(["~/.config/rekey/master.txt"]);
  });

  it("leaves everything else to the YAML path", () => {
    const ok = `master:\n  recipients:\n    - ${AGE}\n`;
    const outsideTheShape = [
      ok.replaceAll("\n", "\r\n"),
      ok.replace("    -", "\t-"),
      `master:\n  recipients: [${AGE}]\n`,
      `master:\n  recipients:\n    - '${AGE}'\n`,
      `master:\n  recipients:\n    - &k ${AGE}\n`,
      `master:\n  recipients:\n    - ${AGE}\n  recipients:\n    - ${AGE}\n`,
      `${ok}master:\n  identities:\n    - k\n`,
      `${ok}  identities:\n    - yes\n`,
      `${ok}  identities:\n    - "a\\tb"\n`,
      `${ok}  identities:\n`,
      `${ok}  identity:\n    - k\n`,
      `${ok}paths:\n`,
      `${ok}paths:\n  secrets: null\n`,
      `${ok}paths:\n  secrets: s\n  secrets: t\n`,
      `${ok}paths:\n  output: a: b\n`,
      `master:\n`,
      `---\n${ok}`,
      `\uFEFF${ok}`,
      `${ok}# ${"x".repeat(2 << 20)}\n`,
    ];
    for (const text of outsideTheShape) {
      expect(parseSimpleConfig(text), text.slice(0, 200)).toBeNull();
      expect(outcome(parseConfig, text)).toEqual(outcome(parseConfigYaml, text));
    }
    // In the shape but invalid: the YAML path reports them, with their positions.
    for (const text of [`${ok}paths:\n  secrets: ../elsewhere\n`, `${ok}paths:\n  hosts: /abs\n`, `${ok}  identities:\n    - " "\n`, `master:\n  recipients:\n    - age1notakey\n`]) {
      expect(parseSimpleConfig(text), text).not.toBeNull();
      expect(() => parseConfig(text)).toThrow(/rekey\.yaml:(\d+:\d+|) ?/);
      expect(outcome(parseConfig, text)).toEqual(outcome(parseConfigYaml, text));
    }
  });
});
