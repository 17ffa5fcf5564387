import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { LAUNCH, shebangLaunch } from "../../bench/cli.js";
import { restoreLaunchEnv } from "../../src/cli/launch-env.js";

const projectRoot = path.resolve(import.meta.dirname, "../..");
const bin = path.join(projectRoot, "bin", "rekey.js");
const firstLine = readFileSync(bin, "utf8").split("\n")[0]!;
/** The environment of a user whose node is this one, as npx and PATH find it. */
const userEnv = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  ...process.env,
  PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ""}`,
  ...extra,
});

describe("how bin/rekey.js's #! line starts Node", () => {
  it("is read from the #! line in its forms, with ${VAR} replaced as env(1) does", () => {
    expect(shebangLaunch("#!/usr/bin/env -S A= B=x=y C=${V}/${W} node --max-semi-space-size=4\nimport x;", { V: "v v" })).toEqual({
      env: { A: "", B: "x=y", C: "v v/" },
      flags: ["--max-semi-space-size=4"],
    });
    expect(shebangLaunch("#!/usr/bin/env node\n")).toEqual({ env: {}, flags: [] });
    expect(shebangLaunch("#!/opt/node/bin/node --a --b=1\n")).toEqual({ env: {}, flags: ["--a", "--b=1"] });
    expect(shebangLaunch("#!/bin/sh\nexec node x")).toEqual({ env: {}, flags: [] });
    expect(shebangLaunch("import x;")).toEqual({ env: {}, flags: [] });
  });

  it("fits the 127 characters older kernels read, and the bench starts the CLI as it does", () => {
    expect(firstLine.length).toBeLessThanOrEqual(127);
    const expected = { env: { NODE_EXTRA_CA_CERTS: "", RK_CA: process.env.NODE_EXTRA_CA_CERTS ?? "", MALLOC_MMAP_THRESHOLD_: "131072" }, flags: ["--max-semi-space-size=2"] };
    expect(shebangLaunch(firstLine)).toEqual(expected);
    expect(LAUNCH).toEqual(expected);
  });

  it("works when the file is run as a command, and Node does not read NODE_EXTRA_CA_CERTS", () => {
    // Node warns at start-up about a bundle it cannot load: it is not even read through the #! line.
    const missing = path.join(projectRoot, "no-such-bundle.pem");
    const run = spawnSync(bin, ["--version"], { env: userEnv({ NODE_EXTRA_CA_CERTS: missing }), encoding: "utf8" });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^rekey \d+\.\d+\.\d+/);
    const direct = spawnSync(process.execPath, [bin, "--version"], { env: userEnv({ NODE_EXTRA_CA_CERTS: missing }), encoding: "utf8" });
    expect(direct.stderr).toContain("no-such-bundle.pem");
  });

  it("gives the processes rekey starts the caller's environment back", () => {
    const through = (caller: NodeJS.ProcessEnv): NodeJS.ProcessEnv => {
      const launched = { ...caller, ...shebangLaunch(firstLine, caller).env };
      restoreLaunchEnv(launched);
      return launched;
    };
    expect(through({ HOME: "/h", NODE_EXTRA_CA_CERTS: "/etc/ca b.pem" })).toEqual({ HOME: "/h", NODE_EXTRA_CA_CERTS: "/etc/ca b.pem" });
    expect(through({ HOME: "/h" })).toEqual({ HOME: "/h" });
    // Started otherwise (node bin/rekey.js), the environment is left as it is.
    const direct = { NODE_EXTRA_CA_CERTS: "/x", MALLOC_MMAP_THRESHOLD_: "1" };
    restoreLaunchEnv(direct);
    expect(direct).toEqual({ NODE_EXTRA_CA_CERTS: "/x", MALLOC_MMAP_THRESHOLD_: "1" });
  });

  it("keeps the young generation at two semi-spaces of 2 MiB", () => {
    const churn = "let a = []; for (let i = 0; i < 3e6; i++) { a.push({ i }); if (a.length > 2e5) a = []; }";
    const size = "console.log(require('v8').getHeapSpaceStatistics().find((x) => x.space_name === 'new_space').space_size)";
    const newSpace = (flags: readonly string[]) => Number(spawnSync(process.execPath, [...flags, "-e", `${churn} ${size}`], { encoding: "utf8" }).stdout.trim());
    expect(newSpace(LAUNCH.flags)).toBeLessThanOrEqual(4 * 2 ** 20);
    expect(newSpace([])).toBeGreaterThan(4 * 2 ** 20);
  });
});
