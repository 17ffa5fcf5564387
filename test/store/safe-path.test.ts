import { mkdir, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { isSymlink, resolveInside } from "../../src/store/safe-path.js";
import { useTempDirs } from "../helpers/tmp.js";

const tempDir = useTempDirs();

function unsafeCode(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    return (e as { code?: string }).code;
  }
}

describe("resolveInside", () => {
  it("resolves plain relative paths, existing or not", async () => {
    const root = await tempDir();
    await mkdir(path.join(root, "secrets"));
    expect(resolveInside(root, "secrets/db.age")).toBe(path.join(root, "secrets/db.age"));
    expect(resolveInside(root, "new/dir/x.age")).toBe(path.join(root, "new/dir/x.age"));
    expect(resolveInside(root, "./a//b/")).toBe(path.join(root, "a/b"));
    expect(resolveInside(root, "")).toBe(root);
    expect(resolveInside(root, "..foo/x")).toBe(path.join(root, "..foo/x"));
  });

  it.each(["/etc/passwd", "../x", "a/../../x", "a/..", "a\0b", "a\nb", "C:\\x"])("refuses %j", async (rel) => {
    const root = await tempDir();
    expect(unsafeCode(() => resolveInside(root, rel))).toBe("UNSAFE_PATH");
  });

  it("names the file and gives a hint", async () => {
    const root = await tempDir();
    try {
      resolveInside(root, "../etc/passwd");
      expect.unreachable();
    } catch (e) {
      expect(e).toMatchObject({ code: "UNSAFE_PATH", file: "../etc/passwd", hint: expect.any(String) });
    }
  });

  it("refuses symlinks that leave the repository, at any depth, dangling ones included", async () => {
    const root = await tempDir();
    const outside = await tempDir();
    await writeFile(path.join(outside, "f"), "x");
    await mkdir(path.join(root, "secrets"));
    await symlink(outside, path.join(root, "secrets/out-dir"));
    await symlink(path.join(outside, "f"), path.join(root, "secrets/out-file"));
    await symlink("../../nowhere", path.join(root, "secrets/dangling"));
    expect(unsafeCode(() => resolveInside(root, "secrets/out-dir/f"))).toBe("UNSAFE_PATH");
    expect(unsafeCode(() => resolveInside(root, "secrets/out-dir/missing/deeper"))).toBe("UNSAFE_PATH");
    expect(unsafeCode(() => resolveInside(root, "secrets/out-file"))).toBe("UNSAFE_PATH");
    expect(unsafeCode(() => resolveInside(root, "secrets/dangling"))).toBe("UNSAFE_PATH");
  });

  it("allows symlinks that stay inside, unless noSymlinks", async () => {
    const root = await tempDir();
    await mkdir(path.join(root, "real"));
    await writeFile(path.join(root, "real/f"), "x");
    await symlink("real", path.join(root, "alias"));
    expect(resolveInside(root, "alias/f")).toBe(path.join(root, "alias/f"));
    expect(unsafeCode(() => resolveInside(root, "alias/f", { noSymlinks: true }))).toBe("UNSAFE_PATH");
    expect(resolveInside(root, "real/f", { noSymlinks: true })).toBe(path.join(root, "real/f"));
  });
});

describe("isSymlink", () => {
  it("uses lstat: true for links (dangling too), false for files, folders and missing paths", async () => {
    const root = await tempDir();
    await writeFile(path.join(root, "f"), "x");
    await symlink("f", path.join(root, "link"));
    await symlink("missing", path.join(root, "dangling"));
    expect(isSymlink(path.join(root, "link"))).toBe(true);
    expect(isSymlink(path.join(root, "dangling"))).toBe(true);
    expect(isSymlink(path.join(root, "f"))).toBe(false);
    expect(isSymlink(root)).toBe(false);
    expect(isSymlink(path.join(root, "missing"))).toBe(false);
    expect(isSymlink(path.join(root, "f/below"))).toBe(false);
  });
});
