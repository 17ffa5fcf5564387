import bcrypt from "bcryptjs";
import { describe, expect, it } from "vitest";
import { htpasswd } from "../../src/generate/builtins/htpasswd.js";
import { anInput, text } from "./support.js";

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

async function line(settings: Record<string, unknown>, deps: Record<string, string>): Promise<string> {
  const out = await htpasswd.generate(anInput("web/htpasswd", { settings, dependencies: new Map(Object.entries(deps).map(([k, v]) => [k, utf8(v)])) }));
  expect(out.public).toBeUndefined();
  return text(out.secret);
}

describe("htpasswd", () => {
  it("writes user:$2y$10$... whose hash verifies the dependency's password (trailing newline ignored)", async () => {
    const out = await line({ user: "admin" }, { "admin-password": "correct-horse-battery\n" });
    expect(out).toMatch(/^admin:\$2y\$10\$[./A-Za-z0-9]{53}\n$/);
    const hash = out.slice("admin:".length).trimEnd();
    expect(bcrypt.compareSync("correct-horse-battery", hash)).toBe(true);
    expect(bcrypt.compareSync("correct-horse-battery\n", hash)).toBe(false);
    expect(bcrypt.getRounds(hash)).toBe(10);
  });

  it("uses a fresh salt each time and the cost setting", async () => {
    const a = await line({ user: "u", cost: 4 }, { pw: "secret" });
    const b = await line({ user: "u", cost: 4 }, { pw: "secret" });
    expect(a).toMatch(/^u:\$2y\$04\$/);
    expect(a).not.toBe(b);
  });

  it("picks the named dependency among several", async () => {
    const out = await line({ user: "u", cost: 4, dependency: "b" }, { a: "first", b: "second" });
    expect(bcrypt.compareSync("second", out.slice(2).trimEnd())).toBe(true);
  });

  it("fails clearly with no dependency, several unnamed, or an undeclared name", async () => {
    await expect(line({ user: "u", cost: 4 }, {})).rejects.toThrow(/needs the password as a dependency/);
    await expect(line({ user: "u", cost: 4 }, { a: "1", b: "2" })).rejects.toThrow(/several dependencies \(a, b\): set "dependency"/);
    await expect(line({ user: "u", cost: 4, dependency: "c" }, { a: "1" })).rejects.toThrow(/"c" is not a declared dependency/);
    await expect(line({ user: "u", cost: 4 }, { a: "x".repeat(73) })).rejects.toThrow(/longer than 72 bytes/);
    await expect(line({ user: "u", cost: 4 }, { a: "\n" })).rejects.toThrow(/one non-empty line/);
  });

  it("validate requires user and checks cost", () => {
    expect(htpasswd.validate?.({})).toEqual(['setting "user" is required by htpasswd']);
    expect(htpasswd.validate?.({ user: "a:b", cost: 3 })).toEqual([
      "setting \"user\" must be a user name without ':' or whitespace, got \"a:b\" (a string)",
      'setting "cost" must be between 4 and 14, got 3',
    ]);
    expect(htpasswd.validate?.({ user: "admin", rounds: 10 })).toEqual(['unknown setting "rounds": htpasswd accepts only user, dependency, cost']);
  });
});
