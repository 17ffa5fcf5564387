/**
 * Running generators: the generate and regenerate actions of a plan, in dependency order.
 *
 * Every generator is resolved and every setting checked before any runs; every generator
 * runs, in memory, before anything is written. So a cycle, an unknown generator, bad
 * settings or a throwing plugin leave the repository untouched. Then the sources (and .pub
 * companions) are written atomically, and the sources record last.
 */
import { randomBytes } from "node:crypto";
import type { Identity } from "age-encryption";
import { decryptSourcesNamed } from "../apply/apply.js";
import type { Reporter } from "../apply/events.js";
import { RekeyError } from "../core/errors.js";
import type { SourceRecord } from "../core/model.js";
import type { Action } from "../core/plan.js";
import { compare, declaredSecrets } from "../core/planner.js";
import { encrypt, parseRecipient } from "../crypto/index.js";
import { writeFileAtomic, writeFilesAtomic } from "../store/atomic.js";
import { PROVENANCE_FILE, renderSourceRecords } from "../store/provenance.js";
import { resolveInside } from "../store/safe-path.js";
import { sha256Hex, sourcePath, type LoadedState } from "../store/state.js";
import type { Generator } from "./contract.js";
import { runGenerator } from "./plugin-loader.js";
import { resolveGenerator } from "./registry.js";

/** What generation needs from outside. */
export interface GenerationPorts {
  readonly identities: readonly Identity[];
  readonly reporter: Reporter;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Runs the generate/regenerate `actions` (in the given dependency order) and writes the results. */
export async function runGeneration(loaded: LoadedState, actions: readonly Action[], ports: GenerationPorts): Promise<string[]> {
  const { repo } = loaded;
  const declared = declaredSecrets(loaded.state.hosts);
  if (repo.config.masterRecipients.length === 0) {
    throw new RekeyError("INVALID_CONFIG", "rekey.yaml lists no master.recipients, so generated secrets cannot be encrypted", {
      file: "rekey.yaml",
      hint: "Add your master recipient (age1... or ssh-ed25519 ...) under master.recipients in rekey.yaml.",
    });
  }
  const masters = repo.config.masterRecipients.map((r) => parseRecipient(r));
  const masterSet = masters.map((m) => m.fingerprint).sort(compare);

  // Resolve every generator first: an unknown one fails before anything runs.
  const generators = new Map<string, Generator>();
  const generatorsDir = resolveInside(repo.root, repo.config.paths.generators);
  for (const a of actions) {
    const decl = declared.get(a.secret);
    if (decl?.generator === undefined) throw new RekeyError("UNKNOWN_GENERATOR", `secret '${a.secret}' declares no generator`, { hint: "Declare `generator:` for it in a host manifest." });
    let generator: Generator;
    try {
      generator = await resolveGenerator(decl.generator.name, { generatorsDir, repoRoot: repo.root });
    } catch (e) {
      if (!(e instanceof RekeyError) || e.code !== "UNKNOWN_GENERATOR") throw e;
      const at = `${decl.at.file}:${decl.at.line}:${decl.at.col}`;
      throw new RekeyError(e.code, `${at}: secret '${a.secret}': ${e.message}`, { file: decl.at.file, ...(e.hint === undefined ? {} : { hint: e.hint }) });
    }
    generators.set(a.secret, generator);
    let problems: string[];
    try {
      problems = generator.validate?.(decl.generator.settings) ?? [];
    } catch (e) {
      problems = [`validate() threw: ${e instanceof Error ? e.message : String(e)}`];
    }
    if (problems.length > 0) {
      const at = `${decl.at.file}:${decl.at.line}:${decl.at.col}`;
      throw new RekeyError("GENERATOR_FAILED", `${at}: generator ${decl.generator.name} for secret '${a.secret}' has invalid settings: ${problems.join("; ")}`, {
        file: decl.at.file,
        hint: "Fix the generator settings in the host manifest.",
      });
    }
  }

  const fresh = new Map<string, { plaintext: Uint8Array; ciphertext: Uint8Array; pub: Uint8Array | undefined }>();
  const decrypted = new Map<string, Uint8Array>();
  const records = new Map<string, SourceRecord>(loaded.state.sourceRecords);
  const timeoutMs = Number(ports.env.REKEY_GENERATOR_TIMEOUT_MS ?? "") || undefined;
  try {
    // The dependencies that exist already, decrypted in one batch (one plugin session).
    const existing = [...new Set(actions.flatMap((a) => declared.get(a.secret)!.dependencies))].filter((d) => !actions.some((a) => a.secret === d)).sort(compare);
    for (const [name, plaintext] of await decryptSourcesNamed(loaded, existing, ports.identities)) decrypted.set(name, plaintext);
    for (const a of actions) {
      const decl = declared.get(a.secret)!;
      const deps = new Map<string, Uint8Array>();
      const depDigests: Record<string, string> = {};
      for (const dep of decl.dependencies) {
        const made = fresh.get(dep);
        if (made !== undefined) {
          deps.set(dep, made.plaintext);
          depDigests[dep] = sha256Hex(made.ciphertext);
          continue;
        }
        deps.set(dep, decrypted.get(dep)!);
        depDigests[dep] = loaded.state.sources.get(dep)!;
      }
      const hosts = loaded.state.hosts.filter((h) => h.secrets.some((s) => s.name === a.secret && !s.intermediary)).map((h) => h.name);
      const generator = generators.get(a.secret)!;
      ports.reporter.notify({ type: "generate", secret: a.secret, generator: generator.name, action: a.action === "regenerate" ? "regenerate" : "generate" });
      const out = await runGenerator(
        generator,
        { secret: a.secret, settings: decl.generator!.settings, random: (n) => new Uint8Array(randomBytes(n)), dependencies: deps, hosts },
        timeoutMs === undefined ? {} : { timeoutMs },
      );
      const ciphertext = await encrypt(out.secret, masters);
      fresh.set(a.secret, { plaintext: out.secret, ciphertext, pub: out.public });
      records.set(a.secret, { masterRecipients: masterSet, generated: { generator: generator.name, dependencies: depDigests } });
    }
    const files: { rel: string; data: Uint8Array }[] = [];
    for (const [name, made] of fresh) {
      files.push({ rel: sourcePath(repo, name), data: made.ciphertext });
      if (made.pub !== undefined) files.push({ rel: `${repo.config.paths.secrets}/${name}.pub`, data: made.pub });
    }
    // New secrets' records go before their sources, the rest after. A run killed in between
    // then leaves a record whose source is missing (generated again next run), or a
    // regenerated source under its old record (regenerated again): never a generated source
    // without a record, which would pass for a user-provided one from then on.
    const recordsRel = `${repo.config.paths.secrets}/${PROVENANCE_FILE}`;
    const early = new Map(loaded.state.sourceRecords);
    for (const a of actions) if (a.action === "generate") early.set(a.secret, records.get(a.secret)!);
    await writeFileAtomic(repo.root, recordsRel, renderSourceRecords(early));
    await writeFilesAtomic(repo.root, files);
    if (actions.some((a) => a.action !== "generate")) await writeFileAtomic(repo.root, recordsRel, renderSourceRecords(records));
    return [...fresh.keys()];
  } finally {
    for (const made of fresh.values()) made.plaintext.fill(0);
    for (const p of decrypted.values()) p.fill(0);
  }
}
