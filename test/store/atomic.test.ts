import { lstat, mkdir, readdir, readFile, readlink, stat, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { atomicIo, cleanTempFiles, prepareFiles, removeFile, stageFiles, writeFileAtomic, writeFilesAtomic, writeTempFile } from "../../src/store/atomic.js";
import { useTempDirs } from "../helpers/tmp.js";

const tempDir = useTempDirs();
const umask = process.umask();

/** Every entry under `dir`, recursively, as relative paths (symlinks not followed). */
async function listAll(dir: string, prefix = ""): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    found.push(prefix + entry.name);
    if (entry.isDirectory()) found.push(...(await listAll(path.join(dir, entry.name), `${prefix}${entry.name}/`)));
  }
  return found.sort();
}

const temps = async (dir: string): Promise<string[]> => (await listAll(dir)).filter((f) => f.includes(".rekey-tmp-"));

describe("writeFileAtomic", () => {
  it("writes the content with the requested mode exactly, creating 0755 parents", async () => {
    const root = await tempDir();
    await writeFileAtomic(root, "secrets/rekeyed/web1/db.age", "hello");
    await writeFileAtomic(root, "secrets/private.key", new Uint8Array([0, 1, 2, 255]), { mode: 0o600 });
    expect(await readFile(path.join(root, "secrets/rekeyed/web1/db.age"), "utf8")).toBe("hello");
    expect([...(await readFile(path.join(root, "secrets/private.key")))]).toEqual([0, 1, 2, 255]);
    expect((await stat(path.join(root, "secrets/rekeyed/web1/db.age"))).mode & 0o777).toBe(0o644);
    expect((await stat(path.join(root, "secrets/private.key"))).mode & 0o777).toBe(0o600);
    expect((await stat(path.join(root, "secrets/rekeyed/web1"))).mode & 0o777).toBe(0o755 & ~umask);
    expect(await temps(root)).toEqual([]);
  });

  it("replaces an existing file by rename (a new inode), never in place", async () => {
    const root = await tempDir();
    await writeFileAtomic(root, "a.age", "old");
    const before = await stat(path.join(root, "a.age"));
    await writeFileAtomic(root, "a.age", "new", { mode: 0o640 });
    const after = await stat(path.join(root, "a.age"));
    expect(await readFile(path.join(root, "a.age"), "utf8")).toBe("new");
    expect(after.ino).not.toBe(before.ino);
    expect(after.mode & 0o777).toBe(0o640);
  });

  it("refuses a target that is a symlink, leaving the link and its target unchanged", async () => {
    const root = await tempDir();
    const outside = await tempDir();
    await writeFile(path.join(outside, "victim"), "precious");
    await writeFile(path.join(root, "inside"), "inside");
    await symlink(path.join(outside, "victim"), path.join(root, "out.age"));
    await symlink("inside", path.join(root, "in.age"));
    await expect(writeFileAtomic(root, "out.age", "evil")).rejects.toMatchObject({ code: "UNSAFE_PATH", file: "out.age" });
    await expect(writeFileAtomic(root, "in.age", "evil")).rejects.toMatchObject({ code: "UNSAFE_PATH", file: "in.age" });
    expect(await readFile(path.join(outside, "victim"), "utf8")).toBe("precious");
    expect(await readFile(path.join(root, "inside"), "utf8")).toBe("inside");
    expect(await readlink(path.join(root, "out.age"))).toBe(path.join(outside, "victim"));
    expect(await temps(root)).toEqual([]);
  });

  it("refuses a parent folder that is a symlink pointing outside, writing nothing there", async () => {
    const root = await tempDir();
    const outside = await tempDir();
    await mkdir(path.join(root, "secrets"));
    await symlink(outside, path.join(root, "secrets/rekeyed"));
    await expect(writeFileAtomic(root, "secrets/rekeyed/web1/db.age", "x")).rejects.toMatchObject({ code: "UNSAFE_PATH", hint: expect.any(String) });
    await expect(writeFileAtomic(root, "secrets/rekeyed/db.age", "x")).rejects.toMatchObject({ code: "UNSAFE_PATH" });
    expect(await readdir(outside)).toEqual([]);
  });

  it("refuses '..' and absolute paths", async () => {
    const root = await tempDir();
    await expect(writeFileAtomic(root, "../escape.age", "x")).rejects.toMatchObject({ code: "UNSAFE_PATH" });
    await expect(writeFileAtomic(root, path.join(root, "abs.age"), "x")).rejects.toMatchObject({ code: "UNSAFE_PATH" });
    expect(await readdir(root)).toEqual([]);
  });

  it("removes its temp file when the rename fails, and reports IO", async () => {
    const root = await tempDir();
    await mkdir(path.join(root, "dir.age/child"), { recursive: true });
    await expect(writeFileAtomic(root, "dir.age", "x")).rejects.toMatchObject({ code: "IO", file: "dir.age", hint: expect.any(String) });
    expect(await temps(root)).toEqual([]);
    expect(await listAll(root)).toEqual(["dir.age", "dir.age/child"]);
  });

  it("refuses to create a folder where a file is in the way", async () => {
    const root = await tempDir();
    await writeFile(path.join(root, "secrets"), "a file");
    await expect(writeFileAtomic(root, "secrets/x.age", "x")).rejects.toMatchObject({ code: "IO", file: "secrets" });
  });
});

describe("ENOSPC translation (injected through the atomicIo seam)", () => {
  const realWrite = atomicIo.write;
  afterEach(() => {
    atomicIo.write = realWrite;
  });

  it("reports 'disk full while writing <rel>', keeps the old file and leaves no temp", async () => {
    const root = await tempDir();
    await writeFileAtomic(root, "out/x.age", "old");
    atomicIo.write = async (handle, data) => {
      await handle.writeFile(typeof data === "string" ? data.slice(0, 1) : data.subarray(0, 1)); // a partial write, then:
      throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
    };
    await expect(writeFileAtomic(root, "out/x.age", "new content")).rejects.toMatchObject({
      code: "IO", message: "disk full while writing out/x.age", file: "out/x.age", hint: expect.stringContaining("free"),
    });
    expect(await readFile(path.join(root, "out/x.age"), "utf8")).toBe("old");
    expect(await temps(root)).toEqual([]);
  });
});

describe("writeFilesAtomic", () => {
  it("writes 2,000 small files across folders and leaves no temp file", async () => {
    const root = await tempDir();
    const files = Array.from({ length: 2000 }, (_, i) => ({ rel: `out/host${i % 40}/s${i}.age`, data: `secret ${i}`, mode: i % 2 === 0 ? 0o600 : undefined }));
    await writeFilesAtomic(root, files);
    const all = await listAll(path.join(root, "out"));
    expect(all.filter((f) => f.endsWith(".age"))).toHaveLength(2000);
    expect(await temps(root)).toEqual([]);
    for (const i of [0, 1, 777, 1999]) {
      const file = path.join(root, `out/host${i % 40}/s${i}.age`);
      expect(await readFile(file, "utf8")).toBe(`secret ${i}`);
      expect((await stat(file)).mode & 0o777).toBe(i % 2 === 0 ? 0o600 : 0o644);
    }
  });

  it("stops on the first error, throws it and removes its temp files", async () => {
    const root = await tempDir();
    const outside = await tempDir();
    await mkdir(path.join(root, "out"));
    await symlink(outside, path.join(root, "out/evil"));
    const files = Array.from({ length: 200 }, (_, i) => ({ rel: i === 100 ? "out/evil/x.age" : `out/ok/s${i}.age`, data: "x".repeat(10_000) }));
    await expect(writeFilesAtomic(root, files)).rejects.toMatchObject({ code: "UNSAFE_PATH", file: "out/evil/x.age" });
    expect(await temps(root)).toEqual([]);
    expect(await readdir(outside)).toEqual([]);
    // A batch checks every path before it renames anything: no file of the batch is written,
    // and the folder it staged for them is gone.
    expect(await readdir(path.join(root, "out"))).toEqual(["evil"]);
  });

  it("also refuses an absolute path after files of the repository root", async () => {
    const root = await tempDir();
    const files = [{ rel: "a.age", data: "a" }, ...Array.from({ length: 40 }, (_, i) => ({ rel: i === 20 ? "/tmp/x.age" : `b${i}.age`, data: "b" }))];
    await expect(writeFilesAtomic(root, files)).rejects.toMatchObject({ code: "UNSAFE_PATH" });
    expect(await readdir(root)).toEqual([]);
  });

  it("does nothing for an empty batch", async () => {
    const root = await tempDir();
    await writeFilesAtomic(root, []);
    expect(await readdir(root)).toEqual([]);
  });
});

describe("prepareFiles: missing folders are staged and renamed into place whole", () => {
  it("writes a new folder's files inside a temp folder, and commit() renames it into place", async () => {
    const root = await tempDir();
    await mkdir(path.join(root, "out/old"), { recursive: true });
    await writeFile(path.join(root, "out/old/keep.age"), "kept");
    const rels = ["out/new/a.age", "out/new/nested/b.age", "out/old/c.age", "out/deep/er/d.age"];
    const batch = prepareFiles(root, rels);
    // Before the commit, nothing is in place: the new folders exist only under temp names.
    expect(await readdir(path.join(root, "out"))).toEqual(expect.arrayContaining(["old"]));
    expect((await readdir(path.join(root, "out"))).filter((n) => n === "new" || n === "er")).toEqual([]);
    const [a, b, c, d] = batch.files;
    expect(path.relative(root, a!.tmp)).toMatch(/^out\/\.new\.rekey-tmp-[0-9a-f]+d0\/a\.age$/);
    expect(path.dirname(path.dirname(b!.tmp))).toBe(path.dirname(a!.tmp));
    expect(path.basename(c!.tmp)).toMatch(/^\.c\.age\.rekey-tmp-/); // an existing folder: a temp file beside the target
    expect(path.relative(root, d!.tmp)).toMatch(/^out\/deep\/\.er\.rekey-tmp-[0-9a-f]+d1\/d\.age$/); // 'deep' made directly
    for (const f of batch.files) writeTempFile(f.tmp, `data of ${f.rel}`, 0o644);
    await batch.commit();
    for (const rel of rels) expect(await readFile(path.join(root, rel), "utf8")).toBe(`data of ${rel}`);
    expect(await readFile(path.join(root, "out/old/keep.age"), "utf8")).toBe("kept");
    expect(await temps(root)).toEqual([]);
  });

  it("commit({ stageNext }) stages the follow-up only once the batch is in place; the follow-up commits without a first sync", async () => {
    const root = await tempDir();
    const batch = prepareFiles(root, ["out/web1/a.age", "out/web1/b.age"]);
    for (const f of batch.files) writeTempFile(f.tmp, `data of ${f.rel}`, 0o644);
    let seenWhenStaging: string[] = [];
    const next = await batch.commit({
      stageNext: async () => {
        // The outputs are renamed into place already: the record goes beside them, not in a second staged folder.
        seenWhenStaging = await readdir(path.join(root, "out/web1"));
        return stageFiles(root, [{ rel: "out/web1/record.yaml", data: "record" }]);
      },
    });
    expect(seenWhenStaging.sort()).toEqual(["a.age", "b.age"]);
    expect(next).toBeDefined();
    // Staged, not in place yet: only its temp file exists.
    expect((await readdir(path.join(root, "out/web1"))).filter((n) => n.startsWith("record"))).toEqual([]);
    expect((await temps(root)).length).toBe(1);
    await next!.commit({ dataDurable: true });
    expect(await readFile(path.join(root, "out/web1/record.yaml"), "utf8")).toBe("record");
    expect(await readFile(path.join(root, "out/web1/a.age"), "utf8")).toBe("data of out/web1/a.age");
    expect(await temps(root)).toEqual([]);
  });

  it("a stageNext that fails leaves the batch in place and no temp file of the follow-up", async () => {
    const root = await tempDir();
    await mkdir(path.join(root, "out/web1"), { recursive: true });
    await symlink("/etc", path.join(root, "out/web1/link")); // in the follow-up's way
    const batch = prepareFiles(root, ["out/web1/a.age"]);
    writeTempFile(batch.files[0]!.tmp, "a", 0o644);
    await expect(batch.commit({ stageNext: () => Promise.resolve(stageFiles(root, [{ rel: "out/web1/link/x", data: "x" }])) })).rejects.toMatchObject({ code: "UNSAFE_PATH" });
    expect(await readFile(path.join(root, "out/web1/a.age"), "utf8")).toBe("a");
    expect(await temps(root)).toEqual([]);
  });

  it("abort() removes the staged folders and the folders it made, with what was written in them", async () => {
    const root = await tempDir();
    const batch = prepareFiles(root, ["out/new/a.age", "out/new/b.age"]);
    writeTempFile(batch.files[0]!.tmp, "a", 0o644);
    batch.abort();
    expect(await readdir(root)).toEqual([]);
  });

  it("cleanTempFiles removes a staged folder left by a killed run, with its files", async () => {
    const root = await tempDir();
    const batch = prepareFiles(root, ["secrets/rekeyed/web1/a.age", "secrets/rekeyed/web1/tls/b.age"]);
    for (const f of batch.files) writeTempFile(f.tmp, "x", 0o644);
    // (killed here: no commit)
    expect(cleanTempFiles(root, ["secrets"])).toBe(1);
    expect(await listAll(path.join(root, "secrets"))).toEqual(["rekeyed"]);
  });
});

describe("removeFile", () => {
  it("removes the file and the folders it leaves empty, up to stopAt", async () => {
    const root = await tempDir();
    await writeFileAtomic(root, "secrets/rekeyed/web1/a/b.age", "x");
    await writeFileAtomic(root, "secrets/rekeyed/web2/c.age", "x");
    await removeFile(root, "secrets/rekeyed/web1/a/b.age", "secrets/rekeyed");
    expect(await listAll(path.join(root, "secrets"))).toEqual(["rekeyed", "rekeyed/web2", "rekeyed/web2/c.age"]);
    await removeFile(root, "secrets/rekeyed/web2/c.age", "secrets/rekeyed");
    expect(await listAll(path.join(root, "secrets"))).toEqual(["rekeyed"]);
  });

  it("keeps folders that are not empty, and is fine with a missing file", async () => {
    const root = await tempDir();
    await writeFileAtomic(root, "out/h/a.age", "x");
    await writeFileAtomic(root, "out/h/b.age", "x");
    await removeFile(root, "out/h/a.age", "out");
    await removeFile(root, "out/h/missing.age", "out");
    expect(await listAll(path.join(root, "out"))).toEqual(["h", "h/b.age"]);
  });

  it("removes a symlink itself, never what it points to", async () => {
    const root = await tempDir();
    const outside = await tempDir();
    await writeFile(path.join(outside, "victim"), "precious");
    await mkdir(path.join(root, "out"));
    await symlink(path.join(outside, "victim"), path.join(root, "out/link.age"));
    await removeFile(root, "out/link.age", "");
    expect(await readFile(path.join(outside, "victim"), "utf8")).toBe("precious");
    await expect(lstat(path.join(root, "out"))).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("refuses to go through a symlinked parent, and '..'", async () => {
    const root = await tempDir();
    const outside = await tempDir();
    await writeFile(path.join(outside, "victim"), "precious");
    await symlink(outside, path.join(root, "out"));
    await expect(removeFile(root, "out/victim", "")).rejects.toMatchObject({ code: "UNSAFE_PATH" });
    await expect(removeFile(root, "../victim", "")).rejects.toMatchObject({ code: "UNSAFE_PATH" });
    expect(await readFile(path.join(outside, "victim"), "utf8")).toBe("precious");
  });
});

describe("cleanTempFiles", () => {
  it("deletes leftover temp files recursively, counts them, and keeps everything else", async () => {
    const root = await tempDir();
    const outside = await tempDir();
    await mkdir(path.join(root, "out/h1/deep"), { recursive: true });
    await mkdir(path.join(root, "other"));
    await writeFile(path.join(outside, ".x.age.rekey-tmp-aaaa"), "not ours to clean");
    await symlink(outside, path.join(root, "out/h1/linked"));
    for (const f of ["out/.a.age.rekey-tmp-0123abcd", "out/h1/.b.age.rekey-tmp-ff", "out/h1/deep/.c.age.rekey-tmp-1", "other/.d.rekey-tmp-2"]) {
      await writeFile(path.join(root, f), "partial");
    }
    for (const f of ["out/h1/b.age", "out/h1/rekey-tmp-looking.age", "out/h1/deep/.hidden"]) await writeFile(path.join(root, f), "keep");
    expect(cleanTempFiles(root, ["out", "missing"])).toBe(3);
    expect(await listAll(path.join(root, "out"))).toEqual(["h1", "h1/b.age", "h1/deep", "h1/deep/.hidden", "h1/linked", "h1/rekey-tmp-looking.age"]);
    expect(await readdir(path.join(root, "other"))).toEqual([".d.rekey-tmp-2"]);
    expect(await readdir(outside)).toEqual([".x.age.rekey-tmp-aaaa"]);
  });
});
