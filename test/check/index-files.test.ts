import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { openIndexFiles } from "../../src/check/index-files.js";
import { workingTreeFiles, type RepoEntry } from "../../src/store/repo-files.js";
import { useTempDirs } from "../helpers/tmp.js";
import { requireTool } from "../helpers/tools.js";

const files = {
  "rekey.yaml": "paths: {}\n",
  "hosts/web1.yaml": "pubkey: x\n",
  "hosts/notes.txt": "n\n",
  "secrets/a.age": "A",
  "secrets/tls/b.age": "B",
  "secrets/.hidden/c.age": "C",
  "secrets/rekeyed/web1/a.age": "out",
  "secrets/x.pub": "pub",
};

describe.runIf(requireTool("git"))("the index as RepoFiles", () => {
  const tempDir = useTempDirs();

  async function staged() {
    const root = await tempDir();
    execFileSync("git", ["init", "-q"], { cwd: root });
    for (const [rel, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
      writeFileSync(path.join(root, rel), text);
    }
    symlinkSync("a.age", path.join(root, "secrets/link.age"));
    execFileSync("git", ["add", "-A"], { cwd: root });
    writeFileSync(path.join(root, "secrets/a.age"), "changed in the working tree only");
    return root;
  }

  it("lists and reads like the working tree, but from the staged blobs", async () => {
    const root = await staged();
    const index = await openIndexFiles(root);
    await index.prefetch(["hosts", "secrets"], ["rekey.yaml", "../outside"]);
    const tree = workingTreeFiles(root);
    for (const f of [index, tree]) {
      expect((await f.find("secrets", ".age", "rekeyed")).sort()).toEqual(["a.age", "link.age", "tls/b.age"]);
      expect((await f.find("secrets", ".age")).sort()).toEqual(["a.age", "link.age", "rekeyed/web1/a.age", "tls/b.age"]);
      expect(await f.find("missing", ".age")).toEqual([]);
      expect(f.entries("hosts").map((e) => e.name).sort()).toEqual(["notes.txt", "web1.yaml"]);
      expect(f.entries("secrets/rekeyed")).toEqual([{ name: "web1", kind: "dir" }]);
      expect(f.entries("nowhere")).toEqual([]);
      expect(f.readSync("secrets/missing.age")).toBeNull();
      expect(Buffer.from(f.readSync("rekey.yaml")!).toString()).toBe("paths: {}\n");
    }
    expect(Buffer.from((await index.read("secrets/a.age"))!).toString()).toBe("A");
    expect(Buffer.from((await tree.read("secrets/a.age"))!).toString()).toBe("changed in the working tree only");
    expect(index.entries("secrets").find((e) => e.name === "link.age")).toEqual({ name: "link.age", kind: "symlink" });
    expect(() => index.readSync("secrets/link.age")).toThrow(/staged as a symlink/);
    expect(() => index.readSync("../outside")).toThrow(/'\.\.'/);
    // A file no batch covered is read on its own, still from the index.
    const fresh = await openIndexFiles(root);
    expect(Buffer.from(fresh.readSync("secrets/a.age")!).toString()).toBe("A");
    expect(fresh.digestSync("secrets/tls/b.age")).toBe(createHash("sha256").update("B").digest("hex"));
  });

  it("finds exactly a folder's files when other paths share its name as a prefix", async () => {
    const root = await tempDir();
    execFileSync("git", ["init", "-q"], { cwd: root });
    // Sorted, "h/1/..." sits among "h/1-x", "h/1.age", "h/10/..." and "h/1/../": a prefix
    // match without the slash, or a range that stops early, would take or miss some.
    const rels = ["h/1.age", "h/1-x/a.age", "h/1/a.age", "h/1/b/c.age", "h/1/z.age", "h/10/a.age", "h/1!/a.age", "h/0/a.age", "h1/a.age", "h/2/a.age"];
    for (const rel of rels) {
      mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
      writeFileSync(path.join(root, rel), rel);
    }
    execFileSync("git", ["add", "-A"], { cwd: root });
    const index = await openIndexFiles(root);
    const tree = workingTreeFiles(root);
    for (const dir of ["h/1", "h", "h/10", "h/1/b", "h/1-x", "h1", "h/3", ""]) {
      const want = (await tree.find(dir, ".age")).sort();
      expect((await index.find(dir, ".age")).sort(), dir).toEqual(want);
      const byName = (es: RepoEntry[]) => es.filter((e) => e.name !== ".git").sort((a, b) => (a.name < b.name ? -1 : 1));
      expect(byName(index.entries(dir)), dir).toEqual(byName(tree.entries(dir)));
    }
    expect((await index.find("h/1", ".age")).sort()).toEqual(["a.age", "b/c.age", "z.age"]);
  });
});
