/**
 * `rekey export --format nix|colmena` read by the real Nix evaluator: the files parse, evaluate
 * strictly, hold every host and secret with the manifests' metadata, use only the option names
 * agenix and colmena declare, and colmena's keyCommand really prints the plaintext. The doc
 * example module (docs/examples/nixos-agenix) evaluates against the same export.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { nixStoreFile } from "../../src/core/export.js";
import { ensureBuilt, makeRepo, projectRoot, runRekey, write, writeSource, type TestRepo } from "../e2e/helpers.js";
import { useTempDirs } from "../helpers/tmp.js";
import { requireTool } from "../helpers/tools.js";
import { evalJson, runNix } from "./support.js";

const tempDir = useTempDirs();

const PLAINTEXT: Record<string, string> = {
  "db-password": "hunter2\n",
  "web/htpasswd": "admin:$2y$10$abc\n",
  "web/config.yaml": "listen: 443\n",
  'odd "name" $x': "odd value",
  "tls/web.key": "-----BEGIN KEY-----\n",
};

/** Two hosts with every kind of metadata, an intermediary, odd names; applied. */
function makeFleet(root: string): TestRepo {
  const repo = makeRepo(root);
  for (const [name, text] of Object.entries(PLAINTEXT)) writeSource(repo, name, text);
  write(root, "hosts/web1.yaml", [
    `pubkey: ${repo.masterRecipient}`,
    "secrets:",
    '  db-password: {owner: app, mode: "0400"}',
    "  web/htpasswd: {owner: nginx, group: nginx}",
    "  web/config.yaml: {path: /etc/web/config.yaml, symlink: false}",
    '  "tls/*": {}',
    "  salt: {generator: hex, intermediary: true}",
    "",
  ].join("\n"));
  write(root, "hosts/db1.yaml", [
    `pubkey: ${repo.masterRecipient}`,
    "secrets:",
    "  db-password: {owner: postgres, path: /run/secrets/db-password}",
    '  "odd \\"name\\" $x": {group: "we\\\\ird"}',
    "",
  ].join("\n"));
  const applied = runRekey(root, ["apply", "--yes"]);
  if (applied.code !== 0) throw new Error(`rekey apply failed:\n${applied.stderr}`);
  return repo;
}

interface JsonExport {
  hosts: Record<string, { secrets: Record<string, Record<string, string | boolean>> }>;
}

function exportTo(root: string, format: string, file: string): void {
  const r = runRekey(root, ["export", "--format", format]);
  expect(r.code, r.stderr).toBe(0);
  writeFileSync(path.join(root, file), r.stdout);
}

describe("nixStoreFile", () => {
  it("keeps a path literal when the file name is a valid store name, else names it with builtins.path", () => {
    expect(nixStoreFile("secrets/rekeyed/web1/db-password.age")).toBe("./secrets/rekeyed/web1/db-password.age");
    expect(nixStoreFile("secrets/rekeyed/h/a b.age")).toBe('builtins.path { path = ./. + "/secrets/rekeyed/h/a b.age"; name = "a_b.age"; }');
    const long = nixStoreFile(`secrets/rekeyed/h/${"x".repeat(255)}.age`);
    expect(long).toBe(`builtins.path { path = ./secrets/rekeyed/h/${"x".repeat(255)}.age; name = "${"x".repeat(207)}.age"; }`);
  });
});

describe.runIf(requireTool("nix-instantiate") && requireTool("age"))("rekey export read by Nix", () => {
  beforeAll(() => ensureBuilt());

  it("agenix: every host and secret, as age.secrets options, with files that exist", async () => {
    const root = await tempDir("rekey-nix-repo-");
    const sandbox = await tempDir("rekey-nix-");
    makeFleet(root);
    const json = JSON.parse(runRekey(root, ["export"]).stdout) as JsonExport;
    // The docs say: save it at the repository root, where its ./ paths resolve. The evaluation
    // copies files into a temp store, as agenix's evaluation does into /nix/store.
    exportTo(root, "nix", "rekey-secrets.nix");
    const parsed = runNix("nix-instantiate", ["--parse", "rekey-secrets.nix"], { sandbox, cwd: root });
    expect(parsed.code, parsed.stderr).toBe(0);

    // `file` must be a path (agenix copies it into the store) that exists; every attribute an
    // option of agenix's secret submodule. toString keeps the repository path for comparing.
    const checked = evalJson(`
      let
        agenixOptions = [ "name" "file" "path" "mode" "owner" "group" "symlink" ];
        check = host: name: s:
          assert builtins.all (k: builtins.elem k agenixOptions) (builtins.attrNames s);
          assert builtins.isPath s.file || builtins.isString s.file;
          assert builtins.pathExists s.file;
          s // { file = toString s.file; };
      in builtins.mapAttrs (host: builtins.mapAttrs (check host)) (import ${path.join(root, "rekey-secrets.nix")})
    `, { sandbox, cwd: root, store: path.join(sandbox, "store") }) as Record<string, Record<string, Record<string, unknown>>>;
    const expected = Object.fromEntries(Object.entries(json.hosts).map(([host, { secrets }]) => [host, Object.fromEntries(Object.entries(secrets).map(([name, e]) => [name, { ...e, file: path.join(root, e.file as string) }]))]));
    // builtins.path (for names Nix cannot store as they are) gives a store path, not the repo path.
    const odd = checked.db1?.['odd "name" $x'];
    expect(odd?.file).toMatch(/^\/nix\/store\/[0-9a-z]{32}-odd__name___x\.age$/);
    expect(checked).toEqual({ ...expected, db1: { ...expected.db1, 'odd "name" $x': { ...expected.db1!['odd "name" $x'], file: odd?.file } } });
    expect(Object.keys(checked.web1!)).toEqual(["db-password", "tls/web.key", "web/config.yaml", "web/htpasswd"]); // no intermediary
    expect(checked.web1!["db-password"]).toEqual({ file: path.join(root, "secrets/rekeyed/web1/db-password.age"), owner: "app", mode: "0400" });
    expect(checked.web1!["web/config.yaml"]).toMatchObject({ path: "/etc/web/config.yaml", symlink: false });

    // As agenix reads it: strict JSON of the export itself puts each file in the store.
    const raw = evalJson(`import ${path.join(root, "rekey-secrets.nix")}`, { sandbox, cwd: root }) as Record<string, Record<string, { file: string }>>;
    for (const secrets of Object.values(raw)) for (const s of Object.values(secrets)) expect(s.file).toMatch(/^\/nix\/store\/[0-9a-z]{32}-[A-Za-z0-9+\-._?=]+\.age$/);
  });

  it("the docs' flake-less NixOS module imports the export for web1", async () => {
    const root = await tempDir("rekey-nix-repo-");
    const sandbox = await tempDir("rekey-nix-");
    makeFleet(root);
    exportTo(root, "nix", "rekey-secrets.nix");
    // The example sits two folders below the repository root, as its comment says.
    mkdirSync(path.join(root, "machines/web1"), { recursive: true });
    copyFileSync(path.join(projectRoot, "docs/examples/nixos-agenix/configuration.nix"), path.join(root, "machines/web1/configuration.nix"));
    const parsed = runNix("nix-instantiate", ["--parse", "machines/web1/configuration.nix"], { sandbox, cwd: root });
    expect(parsed.code, parsed.stderr).toBe(0);
    // Only age.* is forced: `imports` (a fetchTarball of agenix) stays unevaluated, so no network.
    const age = evalJson(`
      let
        module = import ${path.join(root, "machines/web1/configuration.nix")};
        config = module { config = { age.secrets.db-password.path = "/run/agenix/db-password"; }; lib = {}; pkgs = {}; };
      in builtins.mapAttrs (n: s: s // { file = toString s.file; }) config.age.secrets // { identityPaths = config.age.identityPaths; }
    `, { sandbox, cwd: root }) as Record<string, unknown>;
    expect(age).toMatchObject({
      identityPaths: ["/etc/ssh/ssh_host_ed25519_key"],
      "db-password": { file: path.join(root, "secrets/rekeyed/web1/db-password.age"), owner: "app", mode: "0400" },
      "web/htpasswd": { file: path.join(root, "secrets/rekeyed/web1/web/htpasswd.age"), owner: "nginx", group: "nginx" },
    });
  });

  it("colmena: deployment.keys with colmena's option names and defaults; keyCommand prints the plaintext", async () => {
    const root = await tempDir("rekey-nix-repo-");
    const sandbox = await tempDir("rekey-nix-");
    makeFleet(root);
    exportTo(root, "colmena", "rekey-keys.nix");
    const parsed = runNix("nix-instantiate", ["--parse", "rekey-keys.nix"], { sandbox, cwd: root });
    expect(parsed.code, parsed.stderr).toBe(0);

    // colmena's keyType: these options only, exactly one of text/keyFile/keyCommand, a
    // non-empty list of strings, uploadAt from its enum. `path` is internal (destDir/name).
    const keys = evalJson(`
      let
        colmenaOptions = [ "name" "text" "keyFile" "keyCommand" "destDir" "user" "group" "permissions" "uploadAt" ];
        check = k:
          assert builtins.all (o: builtins.elem o colmenaOptions) (builtins.attrNames k);
          assert builtins.length (builtins.filter (o: builtins.hasAttr o k) [ "text" "keyFile" "keyCommand" ]) == 1;
          assert builtins.isList k.keyCommand && k.keyCommand != [ ] && builtins.all builtins.isString k.keyCommand;
          assert builtins.elem k.uploadAt [ "pre-activation" "post-activation" ];
          k;
      in builtins.mapAttrs (host: builtins.mapAttrs (name: check)) (import ${path.join(root, "rekey-keys.nix")})
    `, { sandbox, cwd: root }) as Record<string, Record<string, { keyCommand: string[]; name: string; destDir: string; user: string; group: string; permissions: string; uploadAt: string }>>;

    const cmd = (secret: string) => ["rekey", "-C", root, "view", secret];
    const defaults = { user: "root", group: "root", permissions: "0600", uploadAt: "pre-activation" };
    expect(keys).toEqual({
      db1: {
        "db-password": { ...defaults, keyCommand: cmd("db-password"), name: "db-password", destDir: "/run/secrets", user: "postgres" },
        'odd "name" $x': { ...defaults, keyCommand: cmd('odd "name" $x'), name: 'odd "name" $x', destDir: "/run/keys", group: "we\\ird" },
      },
      web1: {
        "db-password": { ...defaults, keyCommand: cmd("db-password"), name: "db-password", destDir: "/run/keys", user: "app", permissions: "0400" },
        // The attribute name is the key's file name, as colmena's chown (destDir/<attribute>) needs.
        "tls-web.key": { ...defaults, keyCommand: cmd("tls/web.key"), name: "tls-web.key", destDir: "/run/keys" },
        "config.yaml": { ...defaults, keyCommand: cmd("web/config.yaml"), name: "config.yaml", destDir: "/etc/web" },
        "web-htpasswd": { ...defaults, keyCommand: cmd("web/htpasswd"), name: "web-htpasswd", destDir: "/run/keys", user: "nginx", group: "nginx" },
      },
    });

    // What colmena does on the deploying machine: run keyCommand, upload its stdout.
    const bin = path.join(sandbox, "bin");
    mkdirSync(bin);
    writeFileSync(path.join(bin, "rekey"), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(path.join(projectRoot, "bin/rekey.js"))} "$@"\n`);
    chmodSync(path.join(bin, "rekey"), 0o755);
    for (const host of Object.values(keys)) {
      for (const key of Object.values(host)) {
        const [exe, ...args] = key.keyCommand as [string, ...string[]];
        const r = spawnSync(exe, args, { cwd: sandbox, env: { PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}`, HOME: sandbox, NO_COLOR: "1" }, encoding: "utf8" });
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout).toBe(PLAINTEXT[key.keyCommand[4]!]);
      }
    }
  });
});
