/**
 * `rekey check` runs in every pre-commit hook, so it must start fast: nothing it loads
 * statically, from the entry point through the check command, may reach ink or react; and
 * neither `check` nor `plan` loads the yaml package (about 40 ms) on a repository whose
 * files all have the common shapes that rekey reads without it.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ageKeygen, ensureBuilt, makeRepo, projectRoot, runRekey, sshKeygen, write, writeSource } from "../e2e/helpers.js";
import { useTempDirs } from "../helpers/tmp.js";

const dist = path.join(projectRoot, "dist/src");
const FORBIDDEN = /^(ink|react|react-dom|react-reconciler|ink-.*)$/;

/** The static import specifiers of a compiled ES module (dynamic `import()` is lazy: not followed). */
function staticImports(file: string): string[] {
  const code = readFileSync(file, "utf8");
  const specs: string[] = [];
  for (const m of code.matchAll(/^\s*(?:import|export)\s+(?:[^"';]*?\sfrom\s+)?["']([^"']+)["']/gm)) specs.push(m[1]!);
  return specs;
}

function packageName(spec: string): string {
  const parts = spec.split("/");
  return spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
}

/** Every dist file and package reachable by static imports from `entries`. */
function reachable(entries: readonly string[]) {
  const files = new Set<string>();
  const packages = new Set<string>();
  const todo = [...entries];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    for (const spec of staticImports(file)) {
      if (spec.startsWith(".")) todo.push(path.resolve(path.dirname(file), spec));
      else if (!spec.startsWith("node:")) packages.add(packageName(spec));
    }
  }
  // A package's own dependencies, by package.json, closed transitively: a conservative bound.
  const pkgTodo = [...packages];
  while (pkgTodo.length > 0) {
    const name = pkgTodo.pop()!;
    const manifest = path.join(projectRoot, "node_modules", name, "package.json");
    if (!existsSync(manifest)) continue;
    const json = JSON.parse(readFileSync(manifest, "utf8")) as { dependencies?: Record<string, string>; peerDependencies?: Record<string, string> };
    for (const dep of Object.keys({ ...json.dependencies, ...json.peerDependencies })) {
      if (!packages.has(dep)) {
        packages.add(dep);
        pkgTodo.push(dep);
      }
    }
  }
  return { files, packages };
}

describe("rekey check start-up", () => {
  beforeAll(() => ensureBuilt());
  const tempDir = useTempDirs();

  it("reaches neither ink nor react from bin.js and the check command", () => {
    const { files, packages } = reachable([path.join(dist, "cli/bin.js"), path.join(dist, "cli/commands/check.js")]);
    expect(files.has(path.join(dist, "check/gather.js"))).toBe(true); // the scan does follow the graph
    expect(files.has(path.join(dist, "store/config.js"))).toBe(true);
    expect([...packages].filter((p) => FORBIDDEN.test(p))).toEqual([]);
    expect([...files].filter((f) => f.includes(`${path.sep}ui${path.sep}`) || f.endsWith(".jsx"))).toEqual([]);
  });

  it("reaches the yaml package from neither bin.js nor the check, plan and apply commands", () => {
    const commands = ["check", "plan", "apply"].map((c) => path.join(dist, `cli/commands/${c}.js`));
    const { files, packages } = reachable([path.join(dist, "cli/bin.js"), ...commands]);
    expect(files.has(path.join(dist, "store/yaml-lazy.js"))).toBe(true); // loaded on first use, not imported
    expect(packages.has("yaml")).toBe(false);
  });

  it("would notice ink if a module on the path imported it, across lines", async () => {
    const dir = await tempDir();
    writeFileSync(path.join(dir, "a.js"), 'import { x } from "./b.js";\nexport const y = () => import("react-dom");\n');
    writeFileSync(path.join(dir, "b.js"), 'import {\n  render,\n  Box,\n} from "ink";\nexport const x = 1;\n');
    const { files, packages } = reachable([path.join(dir, "a.js")]);
    expect(files.size).toBe(2);
    expect([...packages]).toContain("ink");
    expect([...packages]).not.toContain("react-dom"); // dynamic imports load lazily
  });

  it("loads yaml in neither check nor plan on a repository in the common shapes, and only when a file needs it", async () => {
    const root = await tempDir();
    const repo = makeRepo(root); // rekey.yaml as `rekey init` and most hand-written ones look
    writeSource(repo, "db-password", "hunter2");
    writeSource(repo, "tls/web.key", "-----BEGIN PRIVATE KEY-----");
    const web = sshKeygen(path.join(root, "keys/web1"), "web1").pub;
    const vpn = ageKeygen(path.join(root, "keys/vpn1.txt"));
    write(root, "hosts/web1.yaml", `# The web server.\npubkey: ${web}\nsecrets:\n  db-password: {}\n  tls/web.key:\n  api-token: {}\n`);
    write(root, "hosts/vpn1.yaml", `pubkey: ${vpn}\nstanza: x25519\nsecrets:\n  db-password: {}\n`);
    write(root, "api-token.txt", "t0ken");
    expect(runRekey(root, ["edit", "api-token", "--input", "api-token.txt"]).code).toBe(0); // writes secrets/provenance.yaml
    expect(existsSync(path.join(root, "secrets/provenance.yaml"))).toBe(true);
    expect(runRekey(root, ["apply", "--yes"]).code).toBe(0);
    execFileSync("git", ["init", "-q"], { cwd: root });
    execFileSync("git", ["add", "rekey.yaml", "hosts", "secrets"], { cwd: root });

    // A preloaded module reports, as the process exits, whether the yaml package was loaded.
    const report = path.join(root, "yaml-loaded.txt");
    const probe = path.join(root, "probe.mjs");
    writeFileSync(
      probe,
      `import { writeFileSync } from "node:fs";\nimport { createRequire } from "node:module";\n` +
        `const cache = createRequire(import.meta.url).cache;\n` +
        `process.on("exit", () => writeFileSync(${JSON.stringify(report)}, String(Object.keys(cache).some((f) => f.includes(${JSON.stringify(`${path.sep}node_modules${path.sep}yaml${path.sep}`)})))));\n`,
    );
    const loadsYaml = (args: string[]) => {
      const r = runRekey(root, args, { NODE_OPTIONS: `--import=${probe}` });
      expect(r.stderr).toBe("");
      expect(r.code, r.stdout).toBe(0);
      return readFileSync(report, "utf8");
    };
    expect(loadsYaml(["check"])).toBe("false");
    expect(loadsYaml(["check", "--staged"])).toBe("false");
    expect(loadsYaml(["plan"])).toBe("false");

    // A manifest beyond the simple shape still loads it (and the probe does see it).
    write(root, "hosts/vpn1.yaml", `pubkey: ${vpn}\nstanza: x25519\nsecrets:\n  db-password:\n    owner: wg\n`);
    expect(loadsYaml(["plan"])).toBe("true");
  });
});
