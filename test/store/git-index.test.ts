import { execFileSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { listStaged, readBlobs, streamBlobs } from "../../src/store/git-index.js";
import { useTempDirs } from "../helpers/tmp.js";

const tempDir = useTempDirs();

function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd, encoding: "utf8" });
}

/** A temp git repository holding `files` (path -> content), all staged. */
async function repoWith(files: Record<string, string | Uint8Array>): Promise<string> {
  const root = await tempDir();
  git(root, "init", "-q");
  for (const [rel, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await writeFile(path.join(root, rel), content);
  }
  git(root, "add", "-A");
  return root;
}

describe("listStaged and readBlobs", () => {
  it("returns the staged bytes, not the working tree's", async () => {
    const root = await repoWith({ "secrets/db.age": "staged version\n", "hosts/web1.yaml": "x: 1\n" });
    await writeFile(path.join(root, "secrets/db.age"), "working tree version\n");
    const staged = await listStaged(root, "secrets");
    expect(staged).toEqual([{ path: "secrets/db.age", mode: "100644", oid: git(root, "rev-parse", ":secrets/db.age").trim() }]);
    const blobs = await readBlobs(root, staged.map((f) => f.oid));
    expect(Buffer.from(blobs.get(staged[0]!.oid)!).toString()).toBe("staged version\n");
  });

  it("handles spaces, unicode, newlines and quotes in names (-z), and binary content", async () => {
    const binary = new Uint8Array([0, 10, 13, 255, 0, 10, 32]);
    const names = ["secrets/a b.age", "secrets/ünï/çødé.age", "secrets/new\nline.age", 'secrets/"quoted".age', "secrets/bin.age"];
    const root = await repoWith(Object.fromEntries(names.map((n) => [n, n === "secrets/bin.age" ? binary : `content of ${n}`])));
    const staged = await listStaged(root, "secrets/");
    expect(staged.map((f) => f.path).sort()).toEqual([...names].sort());
    const blobs = await readBlobs(root, [...staged.map((f) => f.oid), staged[0]!.oid]); // duplicates are fine
    expect(blobs.size).toBe(5);
    for (const file of staged) {
      const bytes = blobs.get(file.oid)!;
      if (file.path === "secrets/bin.age") expect([...bytes]).toEqual([...binary]);
      else expect(Buffer.from(bytes).toString()).toBe(`content of ${file.path}`);
    }
  });

  it("lists everything without a prefix, skips a prefix that is only a name prefix, and reports modes", async () => {
    const root = await repoWith({ "secrets/a.age": "a", "secrets-old/b.age": "b", "run.sh": "#!/bin/sh\n" });
    git(root, "update-index", "--chmod=+x", "run.sh");
    expect((await listStaged(root)).map((f) => `${f.mode} ${f.path}`).sort()).toEqual(["100644 secrets-old/b.age", "100644 secrets/a.age", "100755 run.sh"]);
    expect((await listStaged(root, "secrets")).map((f) => f.path)).toEqual(["secrets/a.age"]);
    expect(await listStaged(root, "nothing-here")).toEqual([]);
  });

  it("works when root is a subfolder of the git worktree: paths are relative to root", async () => {
    const top = await repoWith({ "infra/secrets/db.age": "db", "infra/hosts/h.yaml": "h", "secrets/other.age": "not under root" });
    const root = path.join(top, "infra");
    const staged = await listStaged(root, "secrets");
    expect(staged.map((f) => f.path)).toEqual(["secrets/db.age"]);
    const blobs = await readBlobs(root, [staged[0]!.oid]);
    expect(Buffer.from(blobs.get(staged[0]!.oid)!).toString()).toBe("db");
    expect((await listStaged(root)).map((f) => f.path).sort()).toEqual(["hosts/h.yaml", "secrets/db.age"]);
  });

  it("streams blobs of any size across pipe chunks, each once and in order, as git cat-file prints them", async () => {
    // Sizes around the pipe's chunk size (64 KiB), an empty blob, one of 1 MiB, and many small ones.
    const sizes = [0, 1, 65535, 65536, 65537, 1 << 20, ...Array.from({ length: 300 }, (_, i) => (i * 7919) % 5000)];
    const files = Object.fromEntries(sizes.map((n, i) => [`o/${i}.age`, Uint8Array.from({ length: n }, (_, j) => (j * 31 + i) & 0xff)]));
    const root = await repoWith(files);
    const staged = await listStaged(root);
    const seen: [string, Uint8Array][] = [];
    const oids = [...staged.map((f) => f.oid), staged[3]!.oid]; // a duplicate is read once
    await streamBlobs(root, oids, (oid, bytes) => seen.push([oid, bytes]));
    expect(seen.map(([oid]) => oid)).toEqual([...new Set(oids)]);
    const want = new Map(staged.map((f) => [f.oid, files[f.path]!]));
    for (const [oid, bytes] of seen) expect(Buffer.compare(Buffer.from(bytes), Buffer.from(want.get(oid)!)), oid).toBe(0);
  });

  it("stops git and rejects with the visitor's error", async () => {
    const root = await repoWith({ "a.age": "a", "b.age": "b" });
    const oids = (await listStaged(root)).map((f) => f.oid);
    await expect(streamBlobs(root, oids, () => { throw new Error("visitor failed"); })).rejects.toThrow("visitor failed");
  });

  it("returns an empty map for no oids, and fails with IO for a missing object", async () => {
    const root = await repoWith({ "a.age": "a" });
    expect((await readBlobs(root, [])).size).toBe(0);
    await expect(readBlobs(root, ["0123456789abcdef0123456789abcdef01234567"])).rejects.toMatchObject({ code: "IO", message: expect.stringContaining("missing") });
  });

  it("throws IO with a hint when root is not in a git repository", async () => {
    const root = await tempDir();
    await expect(listStaged(root, "secrets")).rejects.toMatchObject({
      code: "IO", message: `${root} is not inside a git repository`, file: "secrets", hint: expect.stringContaining("git init"),
    });
  });

  it("reads the index named by a relative GIT_INDEX_FILE, as inside a pre-commit hook", async () => {
    const root = await repoWith({});
    await mkdir(path.join(root, "secrets"));
    await writeFile(path.join(root, "secrets/a.age"), "only in the other index");
    execFileSync("git", ["add", "secrets/a.age"], { cwd: root, env: { ...process.env, GIT_INDEX_FILE: path.join(root, ".git/alt-index") } });
    const cwd = process.cwd();
    const saved = process.env.GIT_INDEX_FILE;
    try {
      process.chdir(path.join(root, "secrets"));
      process.env.GIT_INDEX_FILE = ".git/alt-index"; // git reads it from the worktree's top
      expect((await listStaged(path.join(root, "secrets"))).map((f) => f.path)).toEqual(["a.age"]);
    } finally {
      process.chdir(cwd);
      if (saved === undefined) delete process.env.GIT_INDEX_FILE;
      else process.env.GIT_INDEX_FILE = saved;
    }
    expect(await listStaged(path.join(root, "secrets"))).toEqual([]); // the real index is empty
  });

  it("honours a relative GIT_DIR meant for our cwd, though git runs in root", async () => {
    const root = await repoWith({ "infra/secrets/a.age": "a" });
    const cwd = process.cwd();
    const saved = process.env.GIT_DIR;
    try {
      process.chdir(root);
      process.env.GIT_DIR = ".git";
      expect((await listStaged(path.join(root, "infra"), "secrets")).map((f) => f.path)).toEqual(["secrets/a.age"]);
    } finally {
      process.chdir(cwd);
      if (saved === undefined) delete process.env.GIT_DIR;
      else process.env.GIT_DIR = saved;
    }
  });
});
