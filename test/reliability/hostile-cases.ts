/**
 * The hostile and broken inputs of the catalogue: each case damages a copy of a small,
 * applied repository, then names the command to run and what the error must say.
 */
import { randomBytes } from "node:crypto";
import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import path from "node:path";
import { bech32 } from "@scure/base";
import { armor } from "age-encryption";

/** The small repository every case starts from (see hostile.test.ts). */
export interface BaseRepo {
  readonly root: string;
  /** A folder outside the repository, for symlink targets. */
  readonly outside: string;
  /** The host manifest web.yaml as written, to append to. */
  readonly webManifest: string;
}

/** One hostile input. */
export interface HostileCase {
  readonly name: string;
  /** Damages the repository copy at `repo.root`. */
  readonly setup: (repo: BaseRepo) => void;
  /** Default: apply --yes. */
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** The file the first line of the error must name. */
  readonly file: string;
  /** What the error must say (anywhere in stderr). */
  readonly problem: RegExp;
}

const put = (root: string, rel: string, data: string | Uint8Array) => {
  mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  writeFileSync(path.join(root, rel), data);
};
const source = (repo: BaseRepo, name = "db-password") => new Uint8Array(readFileSync(path.join(repo.root, `secrets/${name}.age`)));
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64").replace(/=+$/, "");

/** An ssh-ed25519 public key line whose blob holds `key` as the point. */
function sshLine(key: Uint8Array, type = "ssh-ed25519"): string {
  const len = (b: Uint8Array) => {
    const out = Buffer.alloc(4);
    out.writeUInt32BE(b.length);
    return Buffer.concat([out, Buffer.from(b)]);
  };
  return `${type} ${Buffer.concat([len(Buffer.from(type)), len(key)]).toString("base64")} root@evil`;
}

/** A host manifest `hosts/<name>.yaml` with this pubkey and one secret. */
const withPubkey = (pubkey: string) => (repo: BaseRepo) => put(repo.root, "hosts/evil.yaml", `pubkey: ${pubkey}\nsecrets:\n  db-password: {}\n`);
/** Adds a secret entry (YAML key text as given) to web.yaml. */
const withSecretKey = (keyYaml: string, value = "{}") => (repo: BaseRepo) => put(repo.root, "hosts/web.yaml", `${repo.webManifest}  ${keyYaml}: ${value}\n`);

/** An age header with `n` X25519 stanzas that are not anyone's, then a MAC and a payload. */
function manyStanzas(n: number): Uint8Array {
  const lines = ["age-encryption.org/v1"];
  for (let i = 0; i < n; i++) lines.push(`-> X25519 ${b64(randomBytes(32))}`, b64(randomBytes(32)));
  lines.push(`--- ${b64(randomBytes(32))}`);
  return Buffer.concat([Buffer.from(lines.join("\n") + "\n"), randomBytes(16), randomBytes(64)]);
}

/** The catalogue. */
export const HOSTILE_CASES: readonly HostileCase[] = [
  { name: "secret name with '..'", setup: withSecretKey('"../../etc/passwd"'), file: "hosts/web.yaml", problem: /'\.\.'/ },
  { name: "secret name that is an absolute path", setup: withSecretKey('"/etc/passwd"'), file: "hosts/web.yaml", problem: /absolute/ },
  { name: "secret name with a NUL byte", setup: withSecretKey('"db\\0password"'), file: "hosts/web.yaml", problem: /control character|NUL/ },
  { name: "secret name with a newline", setup: withSecretKey('"db\\npassword"'), file: "hosts/web.yaml", problem: /control character|newline/ },
  { name: "dependency name with '..'", setup: withSecretKey('"gen"', '{generator: hex, dependencies: ["../x"]}'), file: "hosts/web.yaml", problem: /'\.\.'/ },
  { name: "host name with a newline (file name)", setup: (r) => put(r.root, "hosts/bad\nhost.yaml", "pubkey: age1x\nsecrets: {}\n"), file: "hosts/bad\\nhost.yaml", problem: /host name .bad\\nhost/ },
  { name: "host name '..' (file ...yaml)", setup: (r) => put(r.root, "hosts/...yaml", "pubkey: age1x\nsecrets: {}\n"), file: "hosts/...yaml", problem: /host name/ },
  {
    name: "source symlinked outside the repository",
    setup: (r) => {
      writeFileSync(path.join(r.outside, "stolen.age"), source(r));
      symlinkSync(path.join(r.outside, "stolen.age"), path.join(r.root, "secrets/stolen.age"));
    },
    file: "secrets/stolen.age", problem: /symlink.*outside/,
  },
  {
    name: "manifest symlinked outside the repository",
    setup: (r) => {
      writeFileSync(path.join(r.outside, "evil.yaml"), "pubkey: age1x\nsecrets: {}\n");
      symlinkSync(path.join(r.outside, "evil.yaml"), path.join(r.root, "hosts/evil.yaml"));
    },
    file: "hosts/evil.yaml", problem: /symlink.*outside/,
  },
  {
    name: "hosts folder symlinked outside the repository",
    setup: (r) => {
      rmSync(path.join(r.root, "hosts"), { recursive: true });
      mkdirSync(path.join(r.outside, "hosts"));
      symlinkSync(path.join(r.outside, "hosts"), path.join(r.root, "hosts"));
    },
    file: "hosts", problem: /symlink.*outside/,
  },
  {
    name: "secrets folder symlinked outside the repository",
    setup: (r) => {
      cpSync(path.join(r.root, "secrets"), path.join(r.outside, "secrets"), { recursive: true });
      rmSync(path.join(r.root, "secrets"), { recursive: true });
      symlinkSync(path.join(r.outside, "secrets"), path.join(r.root, "secrets"));
    },
    file: "secrets", problem: /symlink/,
  },
  {
    name: "output folder of a host symlinked outside the repository",
    setup: (r) => {
      mkdirSync(path.join(r.outside, "web"));
      rmSync(path.join(r.root, "secrets/rekeyed/web"), { recursive: true });
      symlinkSync(path.join(r.outside, "web"), path.join(r.root, "secrets/rekeyed/web"));
    },
    file: "secrets/rekeyed/web", problem: /symlink/,
  },
  {
    name: "whole output folder symlinked outside the repository",
    setup: (r) => {
      mkdirSync(path.join(r.outside, "rekeyed"));
      rmSync(path.join(r.root, "secrets/rekeyed"), { recursive: true });
      symlinkSync(path.join(r.outside, "rekeyed"), path.join(r.root, "secrets/rekeyed"));
    },
    file: "secrets/rekeyed", problem: /symlink/,
  },
  {
    name: "output replaced by a symlink outside the repository",
    setup: (r) => {
      writeFileSync(path.join(r.outside, "victim"), "victim\n");
      rmSync(path.join(r.root, "secrets/rekeyed/web/db-password.age"));
      symlinkSync(path.join(r.outside, "victim"), path.join(r.root, "secrets/rekeyed/web/db-password.age"));
    },
    file: "secrets/rekeyed/web/db-password.age", problem: /symlink/,
  },
  {
    name: "output replaced by a symlink to another file of the repository",
    setup: (r) => {
      rmSync(path.join(r.root, "secrets/rekeyed/web/db-password.age"));
      symlinkSync("../../api-token.age", path.join(r.root, "secrets/rekeyed/web/db-password.age"));
    },
    file: "secrets/rekeyed/web/db-password.age", problem: /symlink/,
  },
  { name: "YAML alias bomb", setup: (r) => put(r.root, "hosts/bomb.yaml", `a: &a ["x","x","x","x","x","x","x","x","x"]\n${Array.from({ length: 9 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`).join("\n")}\npubkey: age1x\n`), file: "hosts/bomb.yaml", problem: /alias/ },
  { name: "YAML nested 100,000 levels deep", setup: (r) => put(r.root, "hosts/deep.yaml", `pubkey: ${"[".repeat(100_000)}${"]".repeat(100_000)}\n`), file: "hosts/deep.yaml", problem: /nesting deeper than 32 levels/ },
  { name: "YAML nested 40 levels deep (under the size limit)", setup: (r) => put(r.root, "hosts/deep.yaml", `pubkey: ${"[".repeat(40)}${"]".repeat(40)}\n`), file: "hosts/deep.yaml", problem: /nesting deeper/ },
  { name: "50 MiB manifest", setup: (r) => put(r.root, "hosts/huge.yaml", `pubkey: age1x\nsecrets: {}\n# ${"x".repeat(50 << 20)}\n`), file: "hosts/huge.yaml", problem: /bytes/ },
  { name: "50 MiB rekey.yaml", setup: (r) => writeFileSync(path.join(r.root, "rekey.yaml"), `${readFileSync(path.join(r.root, "rekey.yaml"), "utf8")}# ${"x".repeat(50 << 20)}\n`), file: "rekey.yaml", problem: /bytes/ },
  { name: "truncated source (half)", setup: (r) => truncateSync(path.join(r.root, "secrets/db-password.age"), Math.floor(source(r).length / 2)), file: "secrets/db-password.age", problem: /truncated|damaged/ },
  { name: "truncated source (header only, no payload)", setup: (r) => { const b = Buffer.from(source(r)); put(r.root, "secrets/db-password.age", b.subarray(0, b.indexOf(0x0a, b.indexOf("\n--- ") + 1) + 1)); }, file: "secrets/db-password.age", problem: /truncated/ },
  { name: "zero-length source", setup: (r) => put(r.root, "secrets/db-password.age", ""), file: "secrets/db-password.age", problem: /empty/ },
  { name: "tampered source payload (last byte flipped)", setup: (r) => { const b = source(r); b[b.length - 1]! ^= 1; put(r.root, "secrets/db-password.age", b); }, file: "secrets/db-password.age", problem: /corrupt|tamper|authentic|payload/i },
  { name: "tampered source header MAC", setup: (r) => { const t = Buffer.from(source(r)).toString("latin1"); const at = t.indexOf("--- ") + 4; put(r.root, "secrets/db-password.age", Buffer.from(t.slice(0, at) + (t[at] === "A" ? "B" : "A") + t.slice(at + 1), "latin1")); }, file: "secrets/db-password.age", problem: /MAC|tamper|header/i },
  { name: "armored source with junk after the end line", setup: (r) => put(r.root, "secrets/db-password.age", `${armor.encode(source(r))}junk after the armor\n`), file: "secrets/db-password.age", problem: /armor|age file/ },
  { name: "armored source with junk inside", setup: (r) => { const a = armor.encode(source(r)).split("\n"); a.splice(2, 0, "!!junk!!"); put(r.root, "secrets/db-password.age", a.join("\n")); }, file: "secrets/db-password.age", problem: /armor|age file/ },
  { name: "plaintext where a source should be", setup: (r) => put(r.root, "secrets/db-password.age", "hunter2\n"), file: "secrets/db-password.age", problem: /not an age file/ },
  { name: "source with 10,000 stanzas", setup: (r) => put(r.root, "secrets/db-password.age", manyStanzas(10_000)), file: "secrets/db-password.age", problem: /stanza|identity|match/i },
  { name: "ssh pubkey with bad base64", setup: withPubkey("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA!!notbase64!! root@evil"), file: "hosts/evil.yaml", problem: /bad pubkey/ },
  { name: "ssh pubkey of the wrong length (31 bytes)", setup: withPubkey(sshLine(randomBytes(31))), file: "hosts/evil.yaml", problem: /bad pubkey/ },
  { name: "ssh pubkey that is a low-order point (identity)", setup: withPubkey(sshLine(Uint8Array.from({ length: 32 }, (_, i) => (i === 0 ? 1 : 0)))), file: "hosts/evil.yaml", problem: /bad pubkey/ },
  { name: "ssh pubkey that is a low-order point (order 8)", setup: withPubkey(sshLine(Buffer.from("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a", "hex"))), file: "hosts/evil.yaml", problem: /bad pubkey/ },
  { name: "age recipient of a low-order point (all zero)", setup: withPubkey(bech32.encode("age", bech32.toWords(new Uint8Array(32)))), file: "hosts/evil.yaml", problem: /bad pubkey/ },
  { name: "master recipient with bad base64 (rekey.yaml)", setup: (r) => writeFileSync(path.join(r.root, "rekey.yaml"), readFileSync(path.join(r.root, "rekey.yaml"), "utf8").replace("recipients:\n", "recipients:\n    - ssh-ed25519 AAAA!!bad root@x\n")), file: "rekey.yaml", problem: /master\.recipients/ },
  {
    name: "master identity: truncated OpenSSH private key",
    setup: (r) => {
      const key = readFileSync(path.join(r.root, "keys/web"), "utf8").split("\n");
      writeFileSync(path.join(r.outside, "broken_key"), [...key.slice(0, 3), key.at(-2)].join("\n") + "\n", { mode: 0o600 });
      put(r.root, "secrets/db-password.age", readFileSync(path.join(r.root, "secrets/api-token.age"))); // force a decrypt
    },
    env: { REKEY_IDENTITY: "@outside/broken_key" },
    file: "broken_key", problem: /key|truncated|OpenSSH/i,
  },
  {
    name: "master identity: OpenSSH private key with bad base64",
    setup: (r) => {
      writeFileSync(path.join(r.outside, "bad_key"), "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA!!!!\n-----END OPENSSH PRIVATE KEY-----\n", { mode: 0o600 });
      put(r.root, "secrets/db-password.age", readFileSync(path.join(r.root, "secrets/api-token.age"))); // force a decrypt
    },
    env: { REKEY_IDENTITY: "@outside/bad_key" },
    file: "bad_key", problem: /base64|OpenSSH|key/i,
  },
  { name: "provenance record that is not YAML", setup: (r) => put(r.root, "secrets/rekeyed/web/provenance.yaml", "{{{{ not yaml"), file: "secrets/rekeyed/web/provenance.yaml", problem: /provenance record/ },
  { name: "plan file that is not a plan", setup: (r) => put(r.root, "evil.plan", '{"kind": "rekey-plan", "format_version": 1, "state": "x"}'), args: ["apply", "evil.plan"], file: "evil.plan", problem: /not a rekey plan file/ },
  {
    name: "generator plugin that never finishes (REKEY_GENERATOR_TIMEOUT_MS=500)",
    setup: (r) => {
      put(r.root, "generators/hang.mjs", 'export default { name: "hang", generate: () => new Promise(() => {}) };\n');
      withSecretKey("hung", "{generator: hang}")(r);
    },
    env: { REKEY_GENERATOR_TIMEOUT_MS: "500" },
    file: "generators/hang.mjs", problem: /timed out/,
  },
];
