/**
 * Interop with the real age CLI (filippo.io/age): files rekey writes decrypt with `age -d`,
 * and files `age` writes decrypt with rekey. Skipped without `age`, except in CI.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decrypt, encrypt, identityRecipients, parseIdentities, parseRecipient, readHeader, sshPrivateKeyToAge } from "../../src/crypto/index.js";
import { requireTool } from "../helpers/tools.js";
import { encryptSmall } from "../../src/crypto/cipher.js";
import { encodeHeader } from "../../src/crypto/header-encode.js";
import { headerStanzas } from "../../src/crypto/header.js";
import { PointWrap } from "../../src/crypto/point-wrap.js";

const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe.runIf(requireTool("age") && requireTool("age-keygen") && requireTool("ssh-keygen"))("interop with the age CLI", () => {
  let dir = "";
  const path = (name: string): string => join(dir, name);
  const age = (args: string[], input: Uint8Array): Buffer => execFileSync("age", args, { input });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "rekey-interop-"));
    for (const name of ["host", "other"]) execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", path(name)]);
    execFileSync("age-keygen", ["-o", path("master.txt")], { stdio: "ignore" });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("rekey -> ssh-ed25519 stanza -> age -d -i <ssh key>", async () => {
    const file = await encrypt(bytes("db-password"), [parseRecipient(readFileSync(path("host.pub"), "utf8"))]);
    expect(readHeader(file).stanzas.map((s) => s.type)).toEqual(["ssh-ed25519"]);
    expect(age(["-d", "-i", path("host")], file).toString()).toBe("db-password");
  });

  it("age -R <ssh pub> -> rekey decrypts with the OpenSSH private key", async () => {
    const file = age(["-R", path("host.pub")], bytes("from age"));
    expect(text(await decrypt(file, parseIdentities(readFileSync(path("host"), "utf8"), path("host"))))).toBe("from age");
  });

  it("X25519 both ways", async () => {
    const identityFile = readFileSync(path("master.txt"), "utf8");
    const [recipient] = identityRecipients(identityFile, "master.txt");
    const file = await encrypt(bytes("x25519 out"), [parseRecipient(recipient ?? "")]);
    expect(age(["-d", "-i", path("master.txt")], file).toString()).toBe("x25519 out");
    const back = age(["-r", recipient ?? ""], bytes("x25519 in"));
    expect(text(await decrypt(back, parseIdentities(identityFile, "master.txt")))).toBe("x25519 in");
  });

  it("armored both ways, with several recipients", async () => {
    const recipients = [parseRecipient(readFileSync(path("other.pub"), "utf8")), parseRecipient(readFileSync(path("host.pub"), "utf8"))];
    const file = await encrypt(bytes("armored out"), recipients, { armor: true });
    expect(text(file)).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----\n/);
    expect(age(["-d", "-i", path("host")], file).toString()).toBe("armored out");
    const back = age(["-a", "-R", path("host.pub")], bytes("armored in"));
    expect(readHeader(back).armored).toBe(true);
    expect(text(await decrypt(back, parseIdentities(readFileSync(path("host"), "utf8"), "host")))).toBe("armored in");
  });

  it("a large file (> one 64 KiB chunk) both ways", async () => {
    const big = Uint8Array.from({ length: 200 * 1024 + 7 }, (_, i) => (i * 31) & 0xff);
    const file = await encrypt(big, [parseRecipient(readFileSync(path("host.pub"), "utf8"))]);
    writeFileSync(path("big.age"), file);
    expect(execFileSync("age", ["-d", "-i", path("host"), path("big.age")]).equals(Buffer.from(big))).toBe(true);
    const back = age(["-R", path("host.pub")], big);
    expect(Buffer.from(await decrypt(back, parseIdentities(readFileSync(path("host"), "utf8"), "host"))).equals(Buffer.from(big))).toBe(true);
  });

  it("a file for another key -> NO_IDENTITY_MATCHED naming the stanza types; age agrees", async () => {
    const file = age(["-R", path("other.pub"), "-r", identityRecipients(readFileSync(path("master.txt"), "utf8"), "m")[0] ?? ""], bytes("not yours"));
    await expect(decrypt(file, parseIdentities(readFileSync(path("host"), "utf8"), "host"))).rejects.toMatchObject({
      code: "NO_IDENTITY_MATCHED",
      // age writes -r recipients before -R ones; rekey lists types in file order.
      message: expect.stringMatching(/^no identity matched: the file has stanzas (ssh-ed25519, X25519|X25519, ssh-ed25519)$/) as string,
    });
    expect(spawnSync("age", ["-d", "-i", path("host")], { input: file }).status).not.toBe(0);
  });

  it("apply's small-file path (encryptSmall) writes files age decrypts, with the header encodeHeader would write", async () => {
    const identityFile = readFileSync(path("master.txt"), "utf8");
    const [x25519Text] = identityRecipients(identityFile, "master.txt");
    const cases = [
      { recipient: parseRecipient(readFileSync(path("host.pub"), "utf8")), identity: path("host"), identities: parseIdentities(readFileSync(path("host"), "utf8"), "host") },
      { recipient: parseRecipient(x25519Text ?? ""), identity: path("master.txt"), identities: parseIdentities(identityFile, "master.txt") },
    ];
    // 0 and 1 byte, and both sides of the one-chunk limit (65,536 is one full, final chunk).
    for (const size of [0, 1, 65_535, 65_536]) {
      for (const { recipient, identity, identities } of cases) {
        const plaintext = Uint8Array.from({ length: size }, (_, i) => (i * 7 + size) & 0xff);
        const wrap = new PointWrap(recipient.target!);
        let fileKey = new Uint8Array(0);
        const file = Buffer.concat(
          encryptSmall(plaintext, (key) => {
            fileKey = key.slice();
            return wrap.stanzaText(key);
          }),
        );
        writeFileSync(path("small.age"), file);
        expect(execFileSync("age", ["-d", "-i", identity, path("small.age")]).equals(Buffer.from(plaintext))).toBe(true);
        expect(Buffer.from(await decrypt(file, identities)).equals(Buffer.from(plaintext))).toBe(true);
        // The text-built header is byte for byte the one the general encoder writes for its stanza.
        const { headerLength, stanzas } = readHeader(file);
        expect(stanzas.map((st) => st.type)).toEqual([recipient.target!.type]);
        const header = file.subarray(0, headerLength);
        expect(Buffer.from(encodeHeader(headerStanzas(header), fileKey)).equals(header)).toBe(true);
        expect(file.length).toBe(headerLength + 16 + size + 16);
      }
    }
    expect(() => encryptSmall(new Uint8Array(65_537), () => "")).toThrow(/more than one payload chunk/);
  });

  it("stanza x25519 on an ssh key decrypts with age -i <ssh-to-age identity>", async () => {
    writeFileSync(path("converted.txt"), sshPrivateKeyToAge(readFileSync(path("host"), "utf8")) + "\n");
    const file = await encrypt(bytes("sops-nix style"), [parseRecipient(readFileSync(path("host.pub"), "utf8"), { stanza: "x25519" })]);
    expect(readHeader(file).stanzas.map((s) => s.type)).toEqual(["X25519"]);
    expect(age(["-d", "-i", path("converted.txt")], file).toString()).toBe("sops-nix style");
  });
});
