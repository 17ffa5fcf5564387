import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { NODE_FLAGS, shebangNodeFlags } from "../../bench/cli.js";

const projectRoot = path.resolve(import.meta.dirname, "../..");
const bin = path.join(projectRoot, "bin", "rekey.js");

describe("the CLI's Node flags (bin/rekey.js's #! line)", () => {
  it("are read from the #! line in its forms", () => {
    expect(shebangNodeFlags("#!/usr/bin/env -S node --max-semi-space-size=4\nimport x;")).toEqual(["--max-semi-space-size=4"]);
    expect(shebangNodeFlags("#!/usr/bin/env node\n")).toEqual([]);
    expect(shebangNodeFlags("#!/opt/node/bin/node --a --b=1\n")).toEqual(["--a", "--b=1"]);
    expect(shebangNodeFlags("#!/bin/sh\nexec node x")).toEqual([]);
    expect(shebangNodeFlags("import x;")).toEqual([]);
  });

  it("cap the young generation, and the bench runs the CLI with them", () => {
    expect(shebangNodeFlags(readFileSync(bin, "utf8"))).toEqual(["--max-semi-space-size=4"]);
    expect(NODE_FLAGS).toEqual(["--max-semi-space-size=4"]);
  });

  it("are accepted by Node when the file is run as a command, as npx and PATH run it", () => {
    // The kernel runs the #! line: env -S splits it, and Node refuses a flag it does not know.
    const env = { ...process.env, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ""}` };
    const run = spawnSync(bin, ["--version"], { env, encoding: "utf8" });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^rekey \d+\.\d+\.\d+/);
  });

  it("take effect: the young generation stays at two semi-spaces of 4 MiB", () => {
    const script = "const s = require('v8').getHeapSpaceStatistics().find((x) => x.space_name === 'new_space'); console.log(JSON.stringify(require('v8').getHeapStatistics()), s.space_size)";
    const capped = spawnSync(process.execPath, [...NODE_FLAGS, "-e", `let a = []; for (let i = 0; i < 3e6; i++) { a.push({ i }); if (a.length > 2e5) a = []; } ${script}`], { encoding: "utf8" });
    const free = spawnSync(process.execPath, ["-e", `let a = []; for (let i = 0; i < 3e6; i++) { a.push({ i }); if (a.length > 2e5) a = []; } ${script}`], { encoding: "utf8" });
    const newSpace = (out: string) => Number(out.trim().split(" ").at(-1));
    expect(newSpace(capped.stdout)).toBeLessThanOrEqual(8 * 2 ** 20);
    expect(newSpace(free.stdout)).toBeGreaterThan(8 * 2 ** 20);
  });
});
