import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { LAUNCH, shebangLaunch } from "../../bench/cli.js";

const projectRoot = path.resolve(import.meta.dirname, "../..");
const bin = path.join(projectRoot, "bin", "rekey.js");
const TUNABLES = "glibc.malloc.mmap_threshold=131072";

describe("how bin/rekey.js's #! line starts Node", () => {
  it("is read from the #! line in its forms", () => {
    expect(shebangLaunch("#!/usr/bin/env -S A=1 B=x=y node --max-semi-space-size=4\nimport x;")).toEqual({ env: { A: "1", B: "x=y" }, flags: ["--max-semi-space-size=4"] });
    expect(shebangLaunch("#!/usr/bin/env node\n")).toEqual({ env: {}, flags: [] });
    expect(shebangLaunch("#!/opt/node/bin/node --a --b=1\n")).toEqual({ env: {}, flags: ["--a", "--b=1"] });
    expect(shebangLaunch("#!/bin/sh\nexec node x")).toEqual({ env: {}, flags: [] });
    expect(shebangLaunch("import x;")).toEqual({ env: {}, flags: [] });
  });

  it("caps the young generation and fixes malloc's mmap threshold, and the bench runs the CLI so", () => {
    const expected = { env: { GLIBC_TUNABLES: TUNABLES }, flags: ["--max-semi-space-size=4"] };
    expect(shebangLaunch(readFileSync(bin, "utf8"))).toEqual(expected);
    expect(LAUNCH).toEqual(expected);
  });

  it("works when the file is run as a command, as npx and PATH run it", () => {
    // The kernel runs the #! line: env -S splits it, and Node refuses a flag it does not know.
    const env = { ...process.env, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ""}` };
    const run = spawnSync(bin, ["--version"], { env, encoding: "utf8" });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^rekey \d+\.\d+\.\d+/);
  });

  it("keeps the young generation at two semi-spaces of 4 MiB", () => {
    const churn = "let a = []; for (let i = 0; i < 3e6; i++) { a.push({ i }); if (a.length > 2e5) a = []; }";
    const size = "console.log(require('v8').getHeapSpaceStatistics().find((x) => x.space_name === 'new_space').space_size)";
    const newSpace = (flags: readonly string[]) => Number(spawnSync(process.execPath, [...flags, "-e", `${churn} ${size}`], { encoding: "utf8" }).stdout.trim());
    expect(newSpace(LAUNCH.flags)).toBeLessThanOrEqual(8 * 2 ** 20);
    expect(newSpace([])).toBeGreaterThan(8 * 2 ** 20);
  });
});
