/**
 * `rekey check` runs in every pre-commit hook, so it must start fast: nothing it loads
 * statically, from the entry point through the check command, may reach ink or react.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, projectRoot } from "../e2e/helpers.js";
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
    expect(packages.has("yaml")).toBe(true);
    expect([...packages].filter((p) => FORBIDDEN.test(p))).toEqual([]);
    expect([...files].filter((f) => f.includes(`${path.sep}ui${path.sep}`) || f.endsWith(".jsx"))).toEqual([]);
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
});
