import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { CommandContext, OptionValues } from "../src/cli/command.js";
import { command, run } from "../src/cli/commands/ssh-to-age.js";
import { RekeyError } from "../src/core/errors.js";

const fixtures = fileURLToPath(new URL("fixtures/crypto/", import.meta.url));

async function invoke(positionals: string[], options: OptionValues = {}, stdin = "", json = false) {
  const io = { stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough() };
  io.stdin.end(stdin);
  const ctx: CommandContext = { ...io, cwd: fixtures, env: {}, positionals, options, json, color: false, interactive: false };
  const read = (s: PassThrough): string => (s.read() as Buffer | null)?.toString() ?? "";
  const code = await run(ctx);
  return { code, stdout: read(io.stdout), stderr: read(io.stderr) };
}

describe("rekey ssh-to-age", () => {
  it("declares its usage", () => {
    expect(command).toMatchObject({ name: "ssh-to-age", positionals: [0, 1] });
    expect(command.options["private-key"]?.type).toBe("boolean");
  });

  it("converts ssh-keyscan output, reporting skipped key types on stderr", async () => {
    const r = await invoke(["mic92-keyscan.txt"]);
    expect(r.stdout).toBe("age1hjm3aujg9e79f5yth8a2cejzdjg5n9vnu96l05p70uvfpeltnpms7yy3pp\nage1v8zjc47jmlqwefyu66s0d4ke98qr4vnuj3cpvs4z9npfdw833dxqwjrhzv\n");
    expect(r.stderr).toBe("line 2: skipped ssh-rsa key (only ssh-ed25519 converts)\nline 6: skipped ssh-rsa key (only ssh-ed25519 converts)\n");
    expect(r.code).toBe(0);
  });

  it("reads stdin for '-' and for no argument", async () => {
    const pub = readFileSync(`${fixtures}mic92-id_ed25519.pub`, "utf8");
    for (const args of [["-"], []]) {
      const r = await invoke(args, {}, `\r\n# a comment\n${pub.replace("\n", "\r\n")}`);
      expect(r).toEqual({ code: 0, stdout: "age17044m9wgakla6pzftf4srtl3h5mcsr85jysgt5fg23zpnta8sfdqhzn452\n", stderr: "" });
    }
  });

  it("prints the good lines and exits 1 when a line is broken", async () => {
    const pub = readFileSync(`${fixtures}mic92-id_ed25519.pub`, "utf8");
    const r = await invoke(["-"], {}, `ssh-ed25519 AAAAbroken\n${pub}`);
    expect(r.stdout).toBe("age17044m9wgakla6pzftf4srtl3h5mcsr85jysgt5fg23zpnta8sfdqhzn452\n");
    expect(r.stderr).toMatch(/^line 1: /);
    expect(r.code).toBe(1);
  });

  it("exits 1 when nothing converts", async () => {
    const r = await invoke(["id_rsa.pub"]);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("line 1: skipped ssh-rsa key");
    expect(r.code).toBe(1);
  });

  it("converts a private key with --private-key", async () => {
    const r = await invoke(["mic92-id_ed25519"], { "private-key": true });
    expect(r).toEqual({ code: 0, stdout: "AGE-SECRET-KEY-1K3VN4N03PTHJWSJSCCMQCN33RY5FSKQPJ4KRRTG3JMQUYE0TUSEQEDH6V8\n", stderr: "" });
  });

  it("refuses an encrypted private key with ENCRYPTED_KEY", async () => {
    await expect(invoke(["id_ed25519_encrypted"], { "private-key": true })).rejects.toMatchObject({
      code: "ENCRYPTED_KEY",
      message: "id_ed25519_encrypted: passphrase-protected keys are not supported yet",
    });
  });

  it("reports an unreadable file as an IO RekeyError naming it", async () => {
    const err: unknown = await invoke(["missing.pub"]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RekeyError);
    expect(err).toMatchObject({ code: "IO", file: "missing.pub" });
  });

  it("prints one JSON document with --json", async () => {
    const r = await invoke(["mic92-keyscan.txt"], {}, "", true);
    const doc = JSON.parse(r.stdout) as { format_version: number; lines: unknown[] };
    expect(doc.format_version).toBe(1);
    expect(doc.lines).toEqual([
      { line: 2, skipped: "ssh-rsa" },
      { line: 4, age: "age1hjm3aujg9e79f5yth8a2cejzdjg5n9vnu96l05p70uvfpeltnpms7yy3pp" },
      { line: 6, skipped: "ssh-rsa" },
      { line: 8, age: "age1v8zjc47jmlqwefyu66s0d4ke98qr4vnuj3cpvs4z9npfdw833dxqwjrhzv" },
    ]);
  });
});
