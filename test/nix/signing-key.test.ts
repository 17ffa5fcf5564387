/**
 * The `nix-signing-key` generator against the real Nix tools: Nix derives the same public key
 * from our secret, reads its own keys the way we write ours, and signs and verifies a store
 * path with the pair. The secret goes to Nix on stdin only (`--key-file /dev/stdin`).
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { nixSigningKey } from "../../src/generate/builtins/nix-signing-key.js";
import { ensureBuilt, makeRepo, runRekey, write } from "../e2e/helpers.js";
import { anInput, scriptedRandom, text } from "../generate/support.js";
import { useTempDirs } from "../helpers/tmp.js";
import { requireTool } from "../helpers/tools.js";
import { nixEnv, runNix, type NixRun } from "./support.js";

const tempDir = useTempDirs();

async function generate(keyName: string): Promise<{ secret: string; pub: string }> {
  const out = await nixSigningKey.generate(anInput("cache-key", { settings: { keyName } }));
  return { secret: text(out.secret), pub: text(out.public) };
}

function ok(r: NixRun, what: string): string {
  if (r.code !== 0) throw new Error(`${what} failed (${r.code}):\n${r.stderr}`);
  return r.stdout;
}

describe("nix-signing-key, known answer", () => {
  it("turns the seed of Nix's manual example into the manual's secret and public key", async () => {
    // From the nix3-key-convert-secret-to-public manual page (Nix 2.8 to 2.18).
    const secret = "cache.example.org-0:E7lAO+MsPwTFfPXsdPtW8GKui/5ho4KQHVcAGnX+Tti1V4dUxoVoqLyWJ4YESuZJwQ67GVIksDt47og+tPVUZw==";
    const seed = [...Buffer.from(secret.split(":")[1]!, "base64").subarray(0, 32)];
    const out = await nixSigningKey.generate(anInput("cache-key", { settings: { keyName: "cache.example.org-0" }, random: scriptedRandom(seed).random }));
    expect(text(out.secret)).toBe(secret);
    expect(text(out.public)).toBe("cache.example.org-0:tVeHVMaFaKi8lieGBErmScEOuxlSJLA7eO6IPrT1VGc=");
  });
});

describe.runIf(requireTool("nix"))("nix-signing-key with the real Nix", () => {
  it("Nix's convert-secret-to-public gives exactly our .pub", async () => {
    const sandbox = await tempDir("rekey-nix-");
    for (const keyName of ["cache.example.org-1", "a", "x_y.z-2024+test", "k".repeat(255)]) {
      const { secret, pub } = await generate(keyName);
      expect(ok(runNix("nix", ["key", "convert-secret-to-public"], { sandbox, input: secret }), "nix key convert-secret-to-public")).toBe(pub);
    }
  });

  it("reads Nix's own secret keys as seed ‖ public key, the layout we write", async () => {
    const sandbox = await tempDir("rekey-nix-");
    const secret = ok(runNix("nix", ["key", "generate-secret", "--key-name", "nix-made-1"], { sandbox }), "nix key generate-secret");
    const pub = ok(runNix("nix", ["key", "convert-secret-to-public"], { sandbox, input: secret }), "nix key convert-secret-to-public");
    const [name, b64] = secret.split(":") as [string, string];
    const sk = Buffer.from(b64, "base64");
    expect(name).toBe("nix-made-1");
    expect(sk).toHaveLength(64);
    expect(Buffer.from(ed25519.getPublicKey(sk.subarray(0, 32)))).toEqual(sk.subarray(32));
    expect(pub).toBe(`nix-made-1:${sk.subarray(32).toString("base64")}`);
  });

  it("signs a store path that `nix store verify --trusted-public-keys` then accepts", async () => {
    const sandbox = await tempDir("rekey-nix-");
    const store = path.join(sandbox, "store");
    const { secret, pub } = await generate("cache.example.org-1");
    const other = await generate("cache.example.org-1");
    // A path added with --add is content-addressed, and Nix trusts those without signatures.
    // Export it from one temp store and import it into another: there it is input-addressed,
    // so `--sigs-needed 1` really demands a signature.
    writeFileSync(path.join(sandbox, "hello.txt"), "hello from rekey\n");
    const added = ok(runNix("nix-store", ["--add", path.join(sandbox, "hello.txt")], { sandbox, store: path.join(sandbox, "source-store") }), "nix-store --add").trim();
    const nar = runNixBytes(["--export", added], sandbox, path.join(sandbox, "source-store"));
    const imported = runNixImport(nar, sandbox, store);
    expect(imported).toBe(added);

    const verify = (key: string) => runNix("nix", ["store", "verify", "--sigs-needed", "1", "--trusted-public-keys", key, added], { sandbox, store });
    expect(verify(pub).stderr).toContain("is untrusted"); // unsigned
    ok(signFromStdin(secret, added, sandbox, store), "nix store sign");
    expect(verify(pub).code, verify(pub).stderr).toBe(0);
    const forged = verify(other.pub); // another key of the same name does not vouch for it
    expect(forged.code).not.toBe(0);
    expect(forged.stderr).toContain("is untrusted");
    const sigs = ok(runNix("nix", ["path-info", "--sigs", added], { sandbox, store }), "nix path-info");
    expect(sigs).toMatch(/cache\.example\.org-1:[A-Za-z0-9+/]{86}==/);
  });
});

describe.runIf(requireTool("nix") && requireTool("age"))("nix-signing-key through the CLI", () => {
  beforeAll(() => ensureBuilt());

  it("`rekey generate` writes a pair that Nix agrees on; the secret only leaves through `rekey view`", async () => {
    const root = await tempDir("rekey-nix-repo-");
    const sandbox = await tempDir("rekey-nix-");
    const repo = makeRepo(root);
    write(root, "hosts/cache1.yaml", [
      `pubkey: ${repo.masterRecipient}`,
      "secrets:",
      "  nix-cache-key:",
      "    generator: {name: nix-signing-key, keyName: cache.example.org-1}",
      "",
    ].join("\n"));
    const gen = runRekey(root, ["generate"]);
    expect(gen.code, gen.stderr).toBe(0);
    const pub = readFileSync(path.join(root, "secrets/nix-cache-key.pub"), "utf8");
    expect(pub).toMatch(/^cache\.example\.org-1:[A-Za-z0-9+/]{43}=$/);
    const view = runRekey(root, ["view", "nix-cache-key"]);
    expect(view.code, view.stderr).toBe(0);
    expect(ok(runNix("nix", ["key", "convert-secret-to-public"], { sandbox, input: view.stdout }), "nix key convert-secret-to-public")).toBe(pub);
  });
});

/**
 * `nix store sign --key-file /dev/stdin`, the secret piped in. Node's child stdin is a
 * socket, which /dev/stdin cannot open (ENXIO), so `cat` relays it through a real pipe.
 */
function signFromStdin(secret: string, storePath: string, sandbox: string, store: string): NixRun {
  const script = 'cat | nix --extra-experimental-features nix-command --store "$1" store sign --key-file /dev/stdin "$2"';
  const r = spawnSync("sh", ["-c", script, "sh", store, storePath], { env: nixEnv(sandbox), input: secret, encoding: "utf8" });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function runNixBytes(args: readonly string[], sandbox: string, store: string): Buffer {
  const r = spawnNixStore(args, sandbox, store);
  if (r.status !== 0) throw new Error(`nix-store ${args.join(" ")} failed:\n${r.stderr.toString()}`);
  return r.stdout;
}

function runNixImport(nar: Buffer, sandbox: string, store: string): string {
  const r = spawnNixStore(["--import"], sandbox, store, nar);
  if (r.status !== 0) throw new Error(`nix-store --import failed:\n${r.stderr.toString()}`);
  return r.stdout.toString().trim();
}

function spawnNixStore(args: readonly string[], sandbox: string, store: string, input?: Buffer) {
  return spawnSync("nix-store", ["--store", store, ...args], { env: nixEnv(sandbox), input, maxBuffer: 1 << 24 });
}
