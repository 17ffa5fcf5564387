/**
 * The common shape of rekey.yaml, read without the YAML parser:
 *
 * ```yaml
 * # comments and blank lines
 * master:                  # a trailing comment after a key or a list item
 *   recipients:
 *     - age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p
 *     - ssh-ed25519 AAAA... admin@laptop     # a recipient with a comment
 *   identities:
 *     - keys/master.txt
 *     - "~/.config/rekey/master.txt"         # double quotes, no escapes (as `rekey init` writes)
 * paths:
 *   output: secrets/rekeyed
 * ```
 *
 * Loading the YAML parser costs about 40 ms, more than the rest of `rekey check` on a small
 * repository. Anything outside this narrow grammar (flow collections, single quotes, escapes,
 * anchors, tags, other indentations, CRLF, tabs, duplicate or unknown keys, empty blocks,
 * scalars YAML would read as anything but a string, non-ASCII values, an oversized file)
 * returns null, and the full YAML path judges it, with every error positioned.
 */
import { MAX_YAML_BYTES } from "./yaml-source.js";

/** The keys under `paths:`. */
export const PATH_KEYS = ["secrets", "hosts", "generators", "output"] as const;

/** The values of rekey.yaml in the simple shape, exactly as YAML reads them (not yet validated). */
export interface SimpleConfig {
  readonly recipients: readonly string[];
  readonly identities: readonly string[];
  readonly paths: Readonly<Partial<Record<(typeof PATH_KEYS)[number], string>>>;
}

// Every line is blank or a comment, a key (whose value is a block below: at most a trailing
// comment here), a path under `paths:`, or a list item. A trailing comment follows a space.
const IGNORED = /^ *(?:#.*)?$/;
const TOP = /^(master|paths): *(?: #.*)?$/;
const LIST_KEY = /^ {2}(recipients|identities): *(?: #.*)?$/;
const PATH = /^ {2}(secrets|hosts|generators|output): (.*)$/;
const ITEM = /^ {4}- (.*)$/;
// A double-quoted scalar of printable ASCII but `"` and `\` (no escapes), optionally followed by a comment.
const QUOTED = /^"([\x20\x21\x23-\x5b\x5d-\x7e]*)" *(?: #.*)?$/;
// A plain scalar: no indicator first, no `#`, quote, bracket or backslash anywhere; single
// words separated by spaces. `: ` and a final `:` (a mapping) are refused below.
const PLAIN = /^[A-Za-z0-9_./~][A-Za-z0-9_./~@+=:-]*(?: +[A-Za-z0-9_./~@+=:-]+)*$/;
// Plain scalars YAML reads as null, booleans (YAML 1.1's too) or numbers; a digit first is refused outright.
const SPECIAL = /^(?:~|null|true|false|yes|no|on|off|y|n|\.inf|\.nan)$|^\.?[0-9]/i;
// Control characters, Unicode line and paragraph separators, NEL and BOM: refused anywhere,
// comments included, out of caution (YAML reads them in a comment, but nobody writes them).
// eslint-disable-next-line no-control-regex -- rejecting control characters is the point
const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\ufeff]/;

/** Reads `text` if it has the simple shape, else returns null. */
export function parseSimpleConfig(text: string): SimpleConfig | null {
  if (text.length > MAX_YAML_BYTES || UNSAFE.test(text)) return null;
  const lists: { recipients?: string[]; identities?: string[] } = {};
  const paths: Partial<Record<(typeof PATH_KEYS)[number], string>> = {};
  const entries = new Map<"master" | "paths", number>(); // each top-level key's count of entries
  let top: "master" | "paths" | undefined;
  let list: string[] | undefined; // the list the next `    - ` item goes to
  for (const line of text.split("\n")) {
    if (IGNORED.test(line)) continue;
    const item = ITEM.exec(line);
    if (item !== null) {
      const value = list === undefined ? null : scalar(item[1]!);
      if (value === null) return null;
      list!.push(value);
      continue;
    }
    list = undefined;
    const t = TOP.exec(line);
    if (t !== null) {
      top = t[1] as "master" | "paths";
      if (entries.has(top)) return null;
      entries.set(top, 0);
      continue;
    }
    if (top === "master") {
      const key = LIST_KEY.exec(line)?.[1] as "recipients" | "identities" | undefined;
      if (key === undefined || lists[key] !== undefined) return null;
      list = lists[key] = [];
    } else if (top === "paths") {
      const m = PATH.exec(line);
      const key = m?.[1] as (typeof PATH_KEYS)[number] | undefined;
      const value = m === null ? null : scalar(m[2]!);
      if (key === undefined || value === null || paths[key] !== undefined) return null;
      paths[key] = value;
    } else return null;
    entries.set(top, entries.get(top)! + 1);
  }
  // An empty block or list is a null value, which the YAML path reports.
  if ([...entries.values()].includes(0) || lists.recipients?.length === 0 || lists.identities?.length === 0) return null;
  return { recipients: lists.recipients ?? [], identities: lists.identities ?? [], paths };
}

/** The string a value (and its optional trailing comment) spells, or null outside the simple shape. */
function scalar(text: string): string | null {
  const quoted = QUOTED.exec(text);
  if (quoted !== null) return quoted[1]!;
  const hash = text.indexOf(" #");
  const value = (hash < 0 ? text : text.slice(0, hash)).trimEnd();
  if (!PLAIN.test(value) || SPECIAL.test(value) || value.includes(": ") || value.endsWith(":")) return null;
  return value;
}
