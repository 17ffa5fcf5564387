/**
 * Child processes in these tests need the store modules as plain JavaScript. We compile them
 * with the repository's TypeScript into a private temp folder (rather than relying on dist/,
 * which may be stale or mid-rebuild by another test run).
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Compiles `src/store/<name>.ts` (and its imports); returns file URLs by name, and a cleanup. */
export async function compileStore(names: readonly string[]): Promise<{ urls: Record<string, string>; cleanup: () => Promise<void> }> {
  const out = await mkdtemp(path.join(tmpdir(), "rekey-compiled-"));
  const tsc = path.join(repo, "node_modules/typescript/bin/tsc");
  const args = [tsc, "--outDir", out, "--rootDir", repo, "--module", "nodenext", "--moduleResolution", "nodenext",
    "--target", "es2022", "--skipLibCheck", "--types", "node", "--strict", ...names.map((n) => path.join(repo, `src/store/${n}.ts`))];
  await promisify(execFile)(process.execPath, args, { cwd: repo });
  await writeFile(path.join(out, "package.json"), '{ "type": "module" }\n'); // emitted code is ESM
  const urls = Object.fromEntries(names.map((n) => [n, pathToFileURL(path.join(out, `src/store/${n}.js`)).href]));
  return { urls, cleanup: () => rm(out, { recursive: true, force: true }) };
}
