/**
 * External tools for interop tests. A missing tool skips the tests on a developer machine,
 * but fails the run in CI (CI=true), where a silent skip would hide lost coverage.
 */
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

/** True if `name` is an executable on PATH. */
export function hasTool(name: string, path = process.env.PATH ?? ""): boolean {
  return path.split(delimiter).some((dir) => {
    if (dir === "") return false;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * For `describe.runIf(requireTool("age"))`: true if the tool is on PATH; false if it is
 * missing outside CI; throws if it is missing and CI is "true" (failing test collection).
 */
export function requireTool(name: string, env: Readonly<Record<string, string | undefined>> = process.env): boolean {
  if (hasTool(name, env.PATH ?? "")) return true;
  if (env.CI === "true") throw new Error(`${name} is required in CI (CI=true) but was not found on PATH`);
  return false;
}
