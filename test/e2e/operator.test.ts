/**
 * The operator commands end to end: the built CLI in temp repositories, checked with the
 * real `age` CLI. edit, view, update-masterkeys, init, export.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { chmod, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasTool, requireTool } from "../helpers/tools.js";
import { useTempDirs } from "../helpers/tmp.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const DIST = path.join(ROOT, "dist/src/cli");
const COMMANDS = ["edit", "view", "update-masterkeys", "init", "export"];
const tempDir = useTempDirs();
const hasShm = (() => {
  try {
    return statSync("/dev/shm").isDirectory();
  } catch {
    return false;
  }
})();

/*
 * Runs the built CLI (bin.js, with its signal handling). Commands are registered in help.ts
 * by the lead; until they all are, the shim registers the missing ones the same way (lazy
 * imports of the built modules) before loading bin.js.
 */
let shim = "";
let shimDir = "";
let runtimeDir = ""; // XDG_RUNTIME_DIR for edits: a tmpfs folder we can search afterwards
beforeAll(() => {
  if (!existsSync(path.join(DIST, "bin.js")) || COMMANDS.some((c) => !existsSync(path.join(DIST, "commands", `${c}.js`)))) {
    execFileSync("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: ROOT, stdio: "ignore" });
  }
  shimDir = mkdtempSync(path.join(ROOT, "node_modules", ".rekey-e2e-"));
  shim = path.join(shimDir, "rekey.mjs");
  const dist = JSON.stringify(DIST + "/");
  const text = `const { COMMANDS } = await import(${dist} + "help.js");
for (const name of ${JSON.stringify(COMMANDS)}) {
  if (!COMMANDS.some((c) => c.name === name)) COMMANDS.push({ name, summary: name, load: () => import(${dist} + "commands/" + name + ".js") });
}
await import(${dist} + "bin.js");
`;
  execFileSync("sh", ["-c", `cat > ${JSON.stringify(shim)}`], { input: text });
  if (hasShm) runtimeDir = mkdtempSync("/dev/shm/rekey-e2e-xdg-");
});
afterAll(() => {
  if (shimDir !== "") rmSync(shimDir, { recursive: true, force: true });
  if (runtimeDir !== "") rmSync(runtimeDir, { recursive: true, force: true });
});

interface Run { code: number | null; stdout: string; stderr: string }

function rekey(cwd: string, args: readonly string[], options: { env?: Record<string, string>; input?: string } = {}): Promise<Run> {
  const env = { PATH: process.env.PATH ?? "", HOME: cwd, NO_COLOR: "1", ...(runtimeDir ? { XDG_RUNTIME_DIR: runtimeDir } : {}), ...options.env };
  const child = spawn(process.execPath, [shim, ...args], { cwd, env, stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  child.stdin.end(options.input ?? "");
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

function ageKeygen(file: string): string {
  execFileSync("age-keygen", ["-o", file], { stdio: "ignore" });
  return execFileSync("age-keygen", ["-y", file]).toString().trim();
}

function ageDecrypt(identity: string, file: string): string {
  return execFileSync("age", ["-d", "-i", identity, file]).toString();
}

/** A repository with one master key and two hosts; returns its root and the master identity. */
async function makeRepo(): Promise<{ root: string; master: string; keys: string }> {
  const root = await tempDir("rekey-e2e-repo-");
  const keys = await tempDir("rekey-e2e-keys-");
  const master = path.join(keys, "master.txt");
  const recipient = ageKeygen(master);
  const host = ageKeygen(path.join(keys, "host.txt"));
  await writeFile(path.join(root, "rekey.yaml"), `master:\n  recipients: [${recipient}]\n  identities: [${JSON.stringify(master)}]\n`);
  await mkdir(path.join(root, "hosts"));
  await mkdir(path.join(root, "secrets"));
  await writeFile(path.join(root, "hosts/web1.yaml"), `pubkey: ${host}\nsecrets:\n  db-password: {owner: app, mode: "0400"}\n  web/config.yaml: {path: /etc/web/config.yaml, symlink: false}\n`);
  await writeFile(path.join(root, "hosts/db1.yaml"), `pubkey: ${host}\nsecrets:\n  db-password: {owner: postgres}\n  "odd \\"name\\" $x": {group: "we\\\\ird"}\n  salt:\n    generator: hex\n    intermediary: true\n`);
  return { root, master, keys };
}

/** Creates the sources the manifests of {@link makeRepo} need. */
async function seedSources(root: string): Promise<void> {
  for (const name of ["db-password", "web/config.yaml", 'odd "name" $x']) {
    const r = await rekey(root, ["edit", name, "--input", "-"], { input: `value of ${name}` });
    if (r.code !== 0) throw new Error(r.stderr);
  }
}

/** Just before this file's tests started: what they write is newer. */
const STARTED_MS = Date.now() - 1_000; // a margin for filesystems whose clocks tick coarsely

/**
 * Every file under `dir` written since these tests started whose bytes contain `marker`
 * (unreadable files are skipped). Older files are not the tests' own: a checkout of this
 * repository under /dev/shm holds this very file, markers included.
 */
function filesContaining(dir: string, marker: string): string[] {
  const found: string[] = [];
  const walk = (d: string): void => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        try {
          if (statSync(p).mtimeMs >= STARTED_MS && readFileSync(p).includes(marker)) found.push(p);
        } catch {
          // not ours to read
        }
      }
    }
  };
  walk(dir);
  return found;
}

/** Writes an executable editor script; `body` gets the file as $F and can log to $LOG. */
async function editorScript(dir: string, body: string): Promise<string> {
  const file = path.join(dir, `editor-${Math.random().toString(36).slice(2)}.sh`);
  await writeFile(file, `#!/bin/sh\nfor F in "$@"; do :; done\nLOG=${JSON.stringify(path.join(dir, "editor.log"))}\n${body}\n`);
  await chmod(file, 0o755);
  return file;
}

function runtimeLeftovers(): string[] {
  return runtimeDir === "" ? [] : readdirSync(runtimeDir);
}

describe.runIf(requireTool("age") && requireTool("age-keygen") && hasShm)("rekey edit and view", () => {
  it("creates a source from stdin that age decrypts, and leaves no plaintext behind", async () => {
    const { root, master } = await makeRepo();
    const marker = `PLAINTEXT-MARKER-${process.pid}-${Date.now()}`;
    const created = await rekey(root, ["edit", "new/secret", "--input", "-"], { input: `${marker}\n` });
    expect(created.code, created.stderr).toBe(0);
    expect(ageDecrypt(master, path.join(root, "secrets/new/secret.age"))).toBe(`${marker}\n`);
    const viewed = await rekey(root, ["view", "new/secret"]);
    expect(viewed.stdout).toBe(`${marker}\n`);
    expect(filesContaining(root, marker)).toEqual([]);
    expect(filesContaining(runtimeDir, marker)).toEqual([]);
    expect(filesContaining("/dev/shm", marker)).toEqual([]);
    const records = await readFile(path.join(root, "secrets/provenance.yaml"), "utf8");
    expect(records).toContain(`"new/secret": {master: ["x25519:age1`);
  });

  it("echo value | rekey edit --input - then view prints value", async () => {
    const { root } = await makeRepo();
    expect((await rekey(root, ["edit", "new/secret", "--input", "-"], { input: "value\n" })).code).toBe(0);
    expect((await rekey(root, ["view", "new/secret"])).stdout.trim()).toBe("value");
  });

  it("edits in $EDITOR (split like a shell line) on a 0600 file in a 0700 tmpfs folder, keeping the extension", async () => {
    const { root, master, keys } = await makeRepo();
    await rekey(root, ["edit", "web/config.yaml", "--input", "-"], { input: "port: 80\n" });
    const marker = `EDITED-MARKER-${Date.now()}`;
    const script = await editorScript(keys, `echo "$1 $(basename "$F") $(stat -c %a "$F") $(stat -c %a "$(dirname "$F")") $(stat -f -c %T "$F")" > "$LOG"\ngrep -q 'port: 80' "$F" || exit 9\nprintf 'port: 8080 # ${marker}\\n' > "$F"`);
    const r = await rekey(root, ["edit", "web/config.yaml"], { env: { EDITOR: `${script} --wait` } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("rekey apply");
    expect((await readFile(path.join(keys, "editor.log"), "utf8")).trim()).toBe("--wait config.yaml 600 700 tmpfs");
    expect(ageDecrypt(master, path.join(root, "secrets/web/config.yaml.age"))).toBe(`port: 8080 # ${marker}\n`);
    expect(runtimeLeftovers()).toEqual([]);
    expect(filesContaining("/dev/shm", marker)).toEqual([]);
  });

  it("does not rewrite a source whose content did not change", async () => {
    const { root } = await makeRepo();
    await rekey(root, ["edit", "db-password", "--input", "-"], { input: "hunter2" });
    const file = path.join(root, "secrets/db-password.age");
    const before = { bytes: await readFile(file), mtime: (await stat(file)).mtimeMs };
    const viaEditor = await rekey(root, ["edit", "db-password"], { env: { EDITOR: "true" } });
    const viaInput = await rekey(root, ["edit", "db-password", "--input", "-"], { input: "hunter2" });
    expect([viaEditor.code, viaInput.code]).toEqual([0, 0]);
    expect(viaEditor.stderr).toContain("unchanged");
    expect(await readFile(file)).toEqual(before.bytes);
    expect((await stat(file)).mtimeMs).toBe(before.mtime);
  });

  it("writes nothing and removes the temp file when the editor fails", async () => {
    const { root, keys } = await makeRepo();
    await rekey(root, ["edit", "db-password", "--input", "-"], { input: "old" });
    const before = await readFile(path.join(root, "secrets/db-password.age"));
    const script = await editorScript(keys, `echo "$F" > "$LOG"\nprintf 'FAILED-EDIT-MARKER' > "$F"\nexit 3`);
    const r = await rekey(root, ["edit", "db-password"], { env: { VISUAL: script, EDITOR: "false" } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("exited with status 3");
    expect(await readFile(path.join(root, "secrets/db-password.age"))).toEqual(before);
    const tempFile = (await readFile(path.join(keys, "editor.log"), "utf8")).trim();
    expect(tempFile.startsWith(runtimeDir + "/")).toBe(true);
    expect(existsSync(tempFile) || existsSync(path.dirname(tempFile))).toBe(false);
    expect(filesContaining("/dev/shm", "FAILED-EDIT-MARKER")).toEqual([]);
  });

  it("removes the temp file and exits 130 when interrupted while editing", async () => {
    const { root, keys } = await makeRepo();
    const script = await editorScript(keys, `echo "$F" > "$LOG"\nprintf 'INTERRUPTED-MARKER' > "$F"\nkill -INT $PPID\nexec sleep 30`);
    const started = Date.now();
    const r = await rekey(root, ["edit", "brand-new"], { env: { EDITOR: script } });
    expect(r.code).toBe(130);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(existsSync(path.join(root, "secrets/brand-new.age"))).toBe(false);
    expect(existsSync(path.join(root, ".rekey.lock"))).toBe(false);
    const tempFile = (await readFile(path.join(keys, "editor.log"), "utf8")).trim();
    expect(existsSync(path.dirname(tempFile))).toBe(false);
    expect(filesContaining("/dev/shm", "INTERRUPTED-MARKER")).toEqual([]);
  });

  it("exits 143 on SIGTERM while editing, with the temp file removed", async () => {
    const { root, keys } = await makeRepo();
    const script = await editorScript(keys, `echo "$F" > "$LOG"\nprintf 'TERMINATED-MARKER' > "$F"\nkill -TERM $PPID\nexec sleep 30`);
    const r = await rekey(root, ["edit", "brand-new"], { env: { EDITOR: script } });
    expect(r.code).toBe(143);
    expect(existsSync(path.join(root, "secrets/brand-new.age"))).toBe(false);
    expect(existsSync(path.dirname((await readFile(path.join(keys, "editor.log"), "utf8")).trim()))).toBe(false);
    expect(filesContaining("/dev/shm", "TERMINATED-MARKER")).toEqual([]);
  });

  // vim is optional (not needed in CI): this checks the flags against a hostile vimrc.
  it.runIf(hasTool("vim"))("keeps vim from writing swap, backup, undo or viminfo files, even when the vimrc asks", async () => {
    const { root, master, keys } = await makeRepo();
    const vimHome = path.join(keys, "vimhome");
    for (const d of ["undo", "bak", "swap"]) await mkdir(path.join(vimHome, d), { recursive: true });
    const vimrc = path.join(vimHome, ".vimrc");
    await writeFile(vimrc, ["undo", "bak", "swap"].map((d) => `set ${{ undo: "undodir", bak: "backupdir", swap: "directory" }[d]}=${vimHome}/${d}`).concat("set undofile backup writebackup swapfile viminfo='20").join("\n") + "\n");
    await rekey(root, ["edit", "conf.yaml", "--input", "-"], { input: "before\n" });
    const editor = `vim -es -u ${vimrc} -c 'call setline(1, "VIM-EDIT-MARKER")' -c wq`;
    const r = await rekey(root, ["edit", "conf.yaml"], { env: { HOME: vimHome, EDITOR: editor } });
    expect(r.code, r.stderr).toBe(0);
    expect(ageDecrypt(master, path.join(root, "secrets/conf.yaml.age"))).toBe("VIM-EDIT-MARKER\n");
    expect(filesContaining(vimHome, "VIM-EDIT-MARKER")).toEqual([]);
    expect(readdirSync(vimHome).sort()).toEqual([".vimrc", "bak", "swap", "undo"]);
    for (const d of ["undo", "bak", "swap"]) expect(readdirSync(path.join(vimHome, d))).toEqual([]);
  });

  it("aborts an empty new secret, and refuses bad names and missing sources", async () => {
    const { root } = await makeRepo();
    const empty = await rekey(root, ["edit", "nothing", "--input", "-"], { input: "" });
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain("empty");
    expect(existsSync(path.join(root, "secrets/nothing.age"))).toBe(false);
    const bad = await rekey(root, ["edit", "../escape", "--input", "-"], { input: "x" });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("'..'");
    const missing = await rekey(root, ["view", "absent"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("secrets/absent.age");
    expect(missing.stderr).toContain("rekey edit absent");
  });

  it("replaces a plaintext leak with --input, and says so when asked to edit it", async () => {
    const { root, master, keys } = await makeRepo();
    await writeFile(path.join(root, "secrets/leaked.age"), "oops, plaintext\n");
    const script = await editorScript(keys, `echo called > "$LOG"`);
    const edit = await rekey(root, ["edit", "leaked"], { env: { EDITOR: script } });
    expect(edit.code).toBe(1);
    expect(edit.stderr).toContain("secrets/leaked.age is not an age file");
    expect(edit.stderr).toContain("rekey edit leaked --input FILE");
    expect(existsSync(path.join(keys, "editor.log"))).toBe(false);
    const replaced = await rekey(root, ["edit", "leaked", "--input", "-"], { input: "fixed\n" });
    expect(replaced.code, replaced.stderr).toBe(0);
    expect(replaced.stderr).toContain("replacing secrets/leaked.age");
    expect(ageDecrypt(master, path.join(root, "secrets/leaked.age"))).toBe("fixed\n");
  });

  it("names the file and the fix when no master identity opens the source", async () => {
    const { root, keys } = await makeRepo();
    await rekey(root, ["edit", "db-password", "--input", "-"], { input: "x" });
    const other = path.join(keys, "other.txt");
    ageKeygen(other);
    const r = await rekey(root, ["view", "db-password"], { env: { REKEY_IDENTITY: other } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("secrets/db-password.age");
    expect(r.stderr).toContain("REKEY_IDENTITY");
  });
});

describe.runIf(requireTool("age") && requireTool("age-keygen"))("rekey update-masterkeys", () => {
  it("re-encrypts every source once to a new master set, and then changes nothing", async () => {
    const { root, keys } = await makeRepo();
    for (const name of ["db-password", "web/config.yaml"]) await rekey(root, ["edit", name, "--input", "-"], { input: `value of ${name}` });
    // A source written by the age CLI, with no provenance record.
    const recipient = (await readFile(path.join(root, "rekey.yaml"), "utf8")).match(/age1[0-9a-z]+/)![0];
    execFileSync("age", ["-r", recipient, "-o", path.join(root, "secrets/by-age.age")], { input: "value of by-age" });
    const second = path.join(keys, "second.txt");
    const secondRecipient = ageKeygen(second);
    const config = path.join(root, "rekey.yaml");
    await writeFile(config, (await readFile(config, "utf8")).replace(`[${recipient}]`, `[${recipient}, ${secondRecipient}]`));
    const first = await rekey(root, ["update-masterkeys"]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain("Re-encrypted 3 of 3 sources");
    expect(first.stdout).toContain("rekey apply");
    for (const name of ["db-password", "web/config.yaml", "by-age"]) {
      expect(ageDecrypt(second, path.join(root, `secrets/${name}.age`))).toBe(`value of ${name}`);
    }
    const snapshot = await Promise.all(["db-password", "by-age"].map((n) => readFile(path.join(root, `secrets/${n}.age`))));
    const again = await rekey(root, ["update-masterkeys", "--json"]);
    expect(JSON.parse(again.stdout)).toMatchObject({ updated: [], total: 3 });
    expect(await Promise.all(["db-password", "by-age"].map((n) => readFile(path.join(root, `secrets/${n}.age`))))).toEqual(snapshot);
  });

  it("refuses, writing nothing, when no loaded identity could decrypt the result", async () => {
    const { root, keys } = await makeRepo();
    await rekey(root, ["edit", "db-password", "--input", "-"], { input: "x" });
    const file = path.join(root, "secrets/db-password.age");
    const before = await readFile(file);
    const config = path.join(root, "rekey.yaml");
    const onlyNew = ageKeygen(path.join(keys, "new.txt"));
    await writeFile(config, (await readFile(config, "utf8")).replace(/\[age1[0-9a-z]+\]/, `[${onlyNew}]`));
    const r = await rekey(root, ["update-masterkeys"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("nothing was written");
    expect(await readFile(file)).toEqual(before);
  });
});

describe("rekey init", () => {
  it("scaffolds a repository and a 0600 master identity, then refuses to run again", async () => {
    const dir = await tempDir("rekey-e2e-init-");
    const home = await tempDir("rekey-e2e-home-");
    const env = { HOME: home, XDG_CONFIG_HOME: path.join(home, "cfg") };
    const r = await rekey(dir, ["init"], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("Next steps");
    const identity = path.join(home, "cfg/rekey/master.txt");
    expect((await stat(identity)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(identity))).mode & 0o777).toBe(0o700);
    for (const d of ["secrets", "hosts", "generators"]) expect((await stat(path.join(dir, d))).isDirectory()).toBe(true);
    const config = await readFile(path.join(dir, "rekey.yaml"), "utf8");
    const key = await readFile(identity, "utf8");
    expect(config).toContain(key.match(/public key: (age1[0-9a-z]+)/)![1]);
    expect(config).toContain('"~/cfg/rekey/master.txt"'); // inside $HOME, so written with ~
    expect(existsSync(path.join(dir, "hosts/example.yaml.sample"))).toBe(true);
    // The sample is not a host, and the new repository works: edit, view, plan.
    expect((await rekey(dir, ["edit", "first", "--input", "-"], { input: "hello", env })).code).toBe(0);
    expect((await rekey(dir, ["view", "first"], { env })).stdout).toBe("hello");
    if (hasTool("age")) expect(ageDecrypt(identity, path.join(dir, "secrets/first.age"))).toBe("hello");
    const plan = await rekey(dir, ["plan"], { env });
    expect(plan.code, plan.stderr).toBe(0);

    const snapshot = [config, key];
    const again = await rekey(dir, ["init"], { env });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("rekey.yaml already exists");
    expect([await readFile(path.join(dir, "rekey.yaml"), "utf8"), await readFile(identity, "utf8")]).toEqual(snapshot);
  });

  it("refuses an existing identity file, writing nothing", async () => {
    const dir = await tempDir("rekey-e2e-init-");
    const home = await tempDir("rekey-e2e-home-");
    const identity = path.join(home, "mine.txt");
    await writeFile(identity, "keep me\n");
    const r = await rekey(dir, ["init", "--identity", identity], { env: { HOME: home } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(identity);
    expect(readdirSync(dir)).toEqual([]);
    expect(await readFile(identity, "utf8")).toBe("keep me\n");
  });
});

describe.runIf(requireTool("age-keygen"))("rekey export", () => {
  it("prints valid JSON covering every host, and filters with --host", async () => {
    const { root } = await makeRepo();
    await seedSources(root);
    const r = await rekey(root, ["export"]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { format_version: number; hosts: Record<string, { secrets: Record<string, Record<string, unknown>> }> };
    expect(doc.format_version).toBe(1);
    expect(Object.keys(doc.hosts)).toEqual(["db1", "web1"]);
    expect(doc.hosts.web1!.secrets["db-password"]).toEqual({ file: "secrets/rekeyed/web1/db-password.age", owner: "app", mode: "0400" });
    expect(doc.hosts.web1!.secrets["web/config.yaml"]).toEqual({ file: "secrets/rekeyed/web1/web/config.yaml.age", path: "/etc/web/config.yaml", symlink: false });
    expect(Object.keys(doc.hosts.db1!.secrets)).toEqual(["db-password", 'odd "name" $x']); // the intermediary is not exported
    const one = JSON.parse((await rekey(root, ["export", "--host", "db1"])).stdout) as typeof doc;
    expect(Object.keys(one.hosts)).toEqual(["db1"]);
    const unknown = await rekey(root, ["export", "--host", "nope"]);
    expect(unknown.code).toBe(64);
  });

  it("prints Nix for agenix and colmena keys", async () => {
    const { root } = await makeRepo();
    await seedSources(root);
    const nix = await rekey(root, ["export", "--format", "nix"]);
    expect(nix.code, nix.stderr).toBe(0);
    expect(nix.stdout).toContain('db-password = { file = ./secrets/rekeyed/web1/db-password.age; owner = "app"; mode = "0400"; };');
    expect(nix.stdout).toContain('"odd \\"name\\" \\$x" = { file = builtins.path { path = ./. + "/secrets/rekeyed/db1/odd \\"name\\" \\$x.age"; name = "odd__name___x.age"; }; group = "we\\\\ird"; };');
    const colmena = await rekey(root, ["export", "--format", "colmena", "--host", "web1"]);
    expect(colmena.code, colmena.stderr).toBe(0);
    expect(colmena.stdout).toContain(`let repo = ${JSON.stringify(root)}; in`);
    expect(colmena.stdout).toContain('keyCommand = [ "rekey" "-C" repo "view" "db-password" ];');
    expect(colmena.stdout).toContain('name = "config.yaml"; destDir = "/etc/web";');
    expect(colmena.stdout).toContain('user = "app"; group = "root"; permissions = "0400";');
    expect(colmena.stdout).toContain('uploadAt = "pre-activation";');
  });

  // nix is optional, even in CI: rekey never runs it; this only double-checks the syntax.
  it.runIf(hasTool("nix-instantiate"))("emits Nix that nix-instantiate parses", async () => {
    const { root } = await makeRepo();
    await seedSources(root);
    for (const format of ["nix", "colmena"]) {
      const out = (await rekey(root, ["export", "--format", format])).stdout;
      const file = path.join(root, `${format}.nix`);
      await writeFile(file, out);
      execFileSync("nix-instantiate", ["--parse", file], { stdio: "pipe" });
    }
  });
});
