import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { hasTool, requireTool } from "../helpers/tools.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

describe("requireTool", () => {
  it("finds tools on PATH and reports missing ones", () => {
    expect(hasTool("node", process.env.PATH)).toBe(true);
    expect(hasTool("rekey-test-no-such-tool")).toBe(false);
    expect(requireTool("rekey-test-no-such-tool", { PATH: process.env.PATH })).toBe(false);
    expect(() => requireTool("rekey-test-no-such-tool", { PATH: process.env.PATH, CI: "true" })).toThrow(/required in CI/);
  });

  it.each([
    ["skips, and the run passes, outside CI", { CI: "" }, 0],
    ["fails the whole run in CI", { CI: "true" }, 1],
  ] as const)("a suite guarded by a missing tool %s", (_what, env, status) => {
    const run = spawnSync(
      process.execPath,
      ["node_modules/vitest/vitest.mjs", "run", "--config", "test/fixtures/crypto/vitest.missing-tool.config.ts", "--passWithNoTests"],
      { cwd: root, env: { ...process.env, ...env }, encoding: "utf8" },
    );
    expect(run.status, run.stdout + run.stderr).toBe(status);
    if (status !== 0) expect(run.stdout + run.stderr).toContain("rekey-test-no-such-tool is required in CI");
  });
});
