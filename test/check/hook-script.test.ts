import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { appendHookBlock, HOOK_BEGIN, HOOK_END, isShellScript, mayExitEarly, renderHook, renderHookBlock, replaceHookBlock, shellQuote } from "../../src/check/hook-script.js";

const cmd = { node: "/usr/bin/node", script: "/opt/it's rekey/bin/rekey.js", dir: "" };

describe("the hook script", () => {
  it("is a sh script that calls this installation, then npx, with --staged", () => {
    const text = renderHook(cmd);
    expect(text.startsWith("#!/bin/sh\n" + HOOK_BEGIN)).toBe(true);
    expect(text).toContain(`rekey_script='/opt/it'\\''s rekey/bin/rekey.js'`);
    expect(text).toContain(`RK_CA="\${NODE_EXTRA_CA_CERTS-}" NODE_EXTRA_CA_CERTS= "$rekey_node" "$rekey_script" check --staged || exit $?`);
    expect(text).toContain("npx --no-install rekey check --staged || exit $?");
    expect(text.trimEnd().endsWith(HOOK_END)).toBe(true);
  });

  it("starts Node without NODE_EXTRA_CA_CERTS, and hands the caller's value on, in sh and in bash", () => {
    for (const shell of ["sh", "bash"]) {
      for (const ca of ["/etc/ssl/c a.pem", undefined]) {
        // The hook's command line, running `env` instead of node to show what node would get.
        const line = renderHookBlock(cmd).split("\n").find((l) => l.includes('"$rekey_node" "$rekey_script"'))!.trim().replace(' "$rekey_node" "$rekey_script" check --staged || exit $?', " env");
        const env: NodeJS.ProcessEnv = { PATH: process.env.PATH };
        if (ca !== undefined) env.NODE_EXTRA_CA_CERTS = ca;
        const out = spawnSync(shell, ["-c", line], { env, encoding: "utf8" }).stdout.split("\n");
        expect(out).toContain("NODE_EXTRA_CA_CERTS=");
        expect(out).toContain(`RK_CA=${ca ?? ""}`);
      }
    }
  });

  it("passes -C when the rekey repository is a folder of the git worktree", () => {
    expect(renderHookBlock({ ...cmd, dir: "infra/secrets" })).toContain("-C 'infra/secrets' check --staged");
  });

  it("replaces its own block and leaves the rest of a hook alone", () => {
    const old = appendHookBlock("#!/bin/bash\necho mine", renderHookBlock({ ...cmd, script: "/old/bin/rekey.js" }));
    expect(old).toBe(`#!/bin/bash\necho mine\n\n${renderHookBlock({ ...cmd, script: "/old/bin/rekey.js" })}`);
    const fresh = replaceHookBlock(old, renderHookBlock(cmd));
    expect(fresh).toBe(`#!/bin/bash\necho mine\n\n${renderHookBlock(cmd)}`);
    expect(replaceHookBlock(fresh!, renderHookBlock(cmd))).toBe(fresh);
    expect(replaceHookBlock("#!/bin/sh\necho other\n", renderHookBlock(cmd))).toBeNull();
  });

  it("knows which hooks it can append to", () => {
    expect(isShellScript("#!/bin/sh\n")).toBe(true);
    expect(isShellScript("#!/usr/bin/env bash\nset -e\n")).toBe(true);
    expect(isShellScript("echo no shebang\n")).toBe(true);
    expect(isShellScript("#!/usr/bin/env python3\n")).toBe(false);
    expect(isShellScript("#!/usr/bin/perl -w\n")).toBe(false);
    expect(mayExitEarly("#!/bin/sh\nmake lint\nexit 0\n")).toBe(true);
    expect(mayExitEarly("#!/bin/sh\nmake lint || exit 1\n")).toBe(false);
  });

  it("quotes for sh", () => {
    expect(shellQuote("a b")).toBe("'a b'");
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });
});
