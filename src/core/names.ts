/**
 * Secret and host names: what is allowed, and the glob syntax of manifests and filters.
 */

/** Why a secret name is unsafe or malformed, or null when it is fine. */
export function secretNameProblem(name: string): string | null {
  if (name.length === 0) return "is empty";
  if (name.length > 255) return "is longer than 255 characters";
  // eslint-disable-next-line no-control-regex -- rejecting control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(name)) return "contains a control character (NUL, newline, ...)";
  if (name.startsWith("/") || /^[A-Za-z]:/.test(name)) return "is an absolute path";
  if (name.includes("\\")) return "contains a backslash";
  const parts = name.split("/");
  if (parts.some((p) => p === "..")) return "contains '..'";
  if (parts.some((p) => p === "." || p === "")) return "has an empty or '.' path segment";
  if (name.endsWith(".age")) return "ends with .age (name the secret without the extension)";
  if (parts.some((p) => p.startsWith("."))) return "has a path segment starting with '.'";
  return null;
}

/** Why a host name is unsafe or malformed, or null when it is fine. */
export function hostNameProblem(name: string): string | null {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) return "must be letters, digits, '.', '_' or '-', starting with a letter or digit";
  if (name.length > 253) return "is longer than 253 characters";
  return null;
}

/** True when `pattern` contains glob syntax. */
export function isGlob(pattern: string): boolean {
  return /[*?[\]{}]/.test(pattern);
}

/**
 * Matches a secret name against a name or a glob: `*` and `?` stay inside one path
 * segment, `**` crosses segments.
 */
export function matchesName(pattern: string, name: string): boolean {
  if (!isGlob(pattern)) return pattern === name;
  return globToRegExp(pattern).test(name);
}

function globToRegExp(pattern: string): RegExp {
  let out = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*" && pattern[i + 1] === "*") {
      i++;
      if (pattern[i + 1] === "/") {
        out += "(?:.*/)?";
        i++;
      } else out += ".*";
    } else if (c === "*") out += "[^/]*";
    else if (c === "?") out += "[^/]";
    else out += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${out}$`);
}

/**
 * Names numbered in the order they are first seen, each kept once: a fleet declares the same
 * secret names on thousands of hosts, and what is kept per (host, secret) can then be a small
 * integer instead of a pointer to its own copy of the name.
 */
export class NameTable {
  readonly #ids = new Map<string, number>();
  readonly #names: string[] = [];

  /** The index of `name`, which is added if it is new. */
  idOf(name: string): number {
    let id = this.#ids.get(name);
    if (id === undefined) {
      id = this.#names.push(name) - 1;
      this.#ids.set(name, id);
    }
    return id;
  }

  /** Whether `name` is in the table. */
  has(name: string): boolean {
    return this.#ids.has(name);
  }

  at(id: number): string {
    return this.#names[id]!;
  }

  /** Every name, in the order first seen. */
  names(): readonly string[] {
    return this.#names;
  }
}

/**
 * Lists of names for a whole fleet in one growing array of integers (each name's index in
 * {@link names}, and any other small integers a list needs, such as lines): one array for the
 * fleet, not one per host (~300 bytes of typed-array objects and native allocation each, on
 * top of the data), of 16-bit integers until a value needs more. A list is where it started
 * ({@link length} then) and how many integers it pushed.
 */
export class NamePool {
  readonly names = new NameTable();
  #data: Uint16Array | Int32Array = new Uint16Array(1024);
  #length = 0;

  /** Where the next integer goes. */
  get length(): number {
    return this.#length;
  }

  push(value: number): void {
    const full = this.#length === this.#data.length;
    const widen = value > 0xffff && this.#data instanceof Uint16Array;
    if (full || widen) {
      const size = full ? 2 * this.#data.length : this.#data.length;
      const grown = widen || this.#data instanceof Int32Array ? new Int32Array(size) : new Uint16Array(size);
      grown.set(this.#data);
      this.#data = grown;
    }
    this.#data[this.#length++] = value;
  }

  at(index: number): number {
    return this.#data[index]!;
  }

  /** The name whose index is at `index`. */
  nameAt(index: number): string {
    return this.names.at(this.#data[index]!);
  }

  /** Drops the spare room, once every list is in. */
  trim(): void {
    this.#data = this.#data.slice(0, this.#length);
  }
}

/**
 * A copy of `s` in its own flat string. A string cut from a larger one (a manifest's text)
 * or joined from parts keeps them alive in V8; what is kept per host of a fleet is copied.
 */
export function ownString(s: string): string {
  return Buffer.from(s, "utf8").toString("utf8");
}
