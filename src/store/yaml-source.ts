/**
 * Reading YAML with positions, so every validation problem can name its file, line and column.
 * Aliases are refused outright (no alias bombs), and size and depth are bounded.
 */
import type { LineCounter, Node, YAMLMap } from "yaml";
import { RekeyError } from "../core/errors.js";
import { yaml } from "./yaml-lazy.js";

/** The largest YAML file rekey reads: manifests are small; a 50 MiB one is an attack or a mistake. */
export const MAX_YAML_BYTES = 1024 * 1024;
const MAX_DEPTH = 32;

/** Collects problems, each with `file:line:col: message`, and throws them all at once. */
export class Problems {
  private readonly items: string[] = [];
  constructor(private readonly lineCounter: LineCounter | undefined = undefined) {}

  /** The 1-based position of `node` in `file`. */
  positionOf(file: string, node: Node | null | undefined): { file: string; line: number; col: number } {
    const offset = node?.range?.[0];
    const pos = offset !== undefined && this.lineCounter ? this.lineCounter.linePos(offset) : { line: 1, col: 1 };
    return { file, line: pos.line, col: pos.col };
  }

  /** Adds a problem at `node` (or at the start of `file`). */
  add(file: string, node: Node | null | undefined, message: string): void {
    const pos = this.positionOf(file, node);
    this.items.push(`${file}:${pos.line}:${pos.col}: ${message}`);
  }

  /** Adds a problem that already carries its position. */
  addRaw(problem: string): void {
    this.items.push(problem);
  }

  get count(): number {
    return this.items.length;
  }

  /** Throws one RekeyError listing every problem, if there are any. */
  throwIfAny(code: "INVALID_MANIFEST" | "INVALID_CONFIG", hint: string): void {
    if (this.items.length === 0) return;
    const first = this.items[0]!.split(":")[0]!;
    const noun = this.items.length === 1 ? "problem" : "problems";
    throw new RekeyError(code, `${this.items.length} ${noun}:\n  ${this.items.join("\n  ")}`, { file: first, hint });
  }
}

/** A parsed YAML file: its top-level mapping (or null when empty) and a problem collector. */
export interface YamlSource {
  readonly file: string;
  readonly root: YAMLMap | null;
  readonly problems: Problems;
}

/** Parses `text` (from repo-relative `file`); syntax errors, aliases and deep nesting become problems. */
export function parseYamlSource(file: string, text: string): YamlSource {
  const { isMap, isScalar, LineCounter, parseDocument } = yaml();
  const lineCounter = new LineCounter();
  const problems = new Problems(lineCounter);
  if (text.length > MAX_YAML_BYTES) {
    problems.add(file, null, `the file is ${text.length} bytes; rekey reads YAML files up to ${MAX_YAML_BYTES} bytes`);
    return { file, root: null, problems };
  }
  let doc;
  try {
    doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false, strict: true });
  } catch (e) {
    problems.add(file, null, `cannot parse YAML: ${e instanceof Error ? e.message : String(e)}`);
    return { file, root: null, problems };
  }
  for (const err of doc.errors) {
    const pos = err.linePos?.[0] ?? { line: 1, col: 1 };
    // The parser recurses per level: a hostile file nested thousands deep overflows its stack.
    const message = err.message.includes("Maximum call stack size exceeded") ? `nesting deeper than ${MAX_DEPTH} levels` : err.message.split("\n")[0];
    problems.addRaw(`${file}:${pos.line}:${pos.col}: ${message}`);
  }
  if (doc.errors.length > 0) return { file, root: null, problems };
  const contents = doc.contents;
  if (contents === null || (isScalar(contents) && contents.value === null)) return { file, root: null, problems };
  if (!checkShape(file, contents, 0, problems)) return { file, root: null, problems };
  if (!isMap(contents)) {
    problems.add(file, contents, "expected a mapping of keys to values at the top level");
    return { file, root: null, problems };
  }
  return { file, root: contents, problems };
}

function checkShape(file: string, node: unknown, depth: number, problems: Problems): boolean {
  const { isAlias, isMap, isSeq } = yaml();
  if (isAlias(node)) {
    problems.add(file, node, "YAML aliases (*name) are not allowed here; write the value out");
    return false;
  }
  if (depth > MAX_DEPTH) {
    problems.add(file, node as Node, `nesting deeper than ${MAX_DEPTH} levels`);
    return false;
  }
  if (isMap(node)) return node.items.every((p) => checkShape(file, p.key, depth + 1, problems) && checkShape(file, p.value, depth + 1, problems));
  if (isSeq(node)) return node.items.every((item) => checkShape(file, item, depth + 1, problems));
  return true;
}

/** The plain string value of a scalar key. */
export function keyName(key: unknown): string {
  return yaml().isScalar(key) ? String(key.value) : String(key);
}

/** Suggests the closest allowed key, for `unknown key 'pubky' (did you mean 'pubkey'?)`. */
export function unknownKeyMessage(key: string, allowed: readonly string[]): string {
  const close = allowed.find((a) => distance(a, key) <= 2);
  return close === undefined ? `unknown key '${key}' (allowed: ${allowed.join(", ")})` : `unknown key '${key}' (did you mean '${close}'?)`;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const next = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = row[j]!;
      row[j] = next;
    }
  }
  return row[b.length]!;
}
