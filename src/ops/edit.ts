/**
 * `rekey edit`: creates or changes a source, from an editor on a tmpfs temp file or from
 * given bytes, and re-encrypts it to the master recipients only when the content changed.
 */
import { readFileSync } from "node:fs";
import { decryptSource } from "../apply/apply.js";
import { isRekeyError, RekeyError } from "../core/errors.js";
import { encrypt } from "../crypto/index.js";
import type { Repo } from "../store/config.js";
import { loadMasterIdentities } from "../store/identities.js";
import { lockForWriting } from "../store/write-lock.js";
import { readRepoFile, sha256Hex, sourcePath } from "../store/state.js";
import { EditorInterrupted, editorCommand, runEditor, trapSignals } from "./editor.js";
import { checkSecretName, masterSet, readSources, sameBytes, sourceExists, writeSources } from "./sources.js";
import { createEditFile, type EditFile } from "./tmpfs.js";

/** What edit needs from outside. */
export interface EditOptions {
  readonly repo: Repo;
  readonly name: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Supplies the new content without an editor (`--input`); absent, the editor runs. */
  readonly input?: () => Promise<Uint8Array>;
  /** A terminal is attached (the editor may default to vi). */
  readonly interactive: boolean;
  /** Receives notices (skipped identity files, ...). */
  readonly notice: (line: string) => void;
}

/** What edit did to the source. */
export interface EditResult {
  readonly outcome: "created" | "updated" | "unchanged";
  /** The source's repo-relative path. */
  readonly file: string;
}

/**
 * Edits source `name` under the repository lock. The editor's temp file is removed on every
 * path; an editor failure or an interrupt writes nothing. Throws ABORTED for an empty new secret.
 */
export async function editSource(options: EditOptions): Promise<EditResult> {
  const { repo, name } = options;
  checkSecretName(name);
  const master = masterSet(repo);
  const rel = sourcePath(repo, name);
  const lock = await lockForWriting(repo, `rekey edit ${name}`);
  let before: Uint8Array | undefined;
  let after: Uint8Array | undefined;
  try {
    const existed = sourceExists(repo, name);
    let digest: string | undefined;
    if (existed) {
      digest = sha256Hex(readRepoFile(repo.root, rel));
      before = await readCurrent(options, rel);
    }
    after = options.input !== undefined ? await options.input() : await editInTmpfs(name, before ?? new Uint8Array(), options);
    if (before !== undefined && sameBytes(before, after)) return { outcome: "unchanged", file: rel };
    if (!existed && after.length === 0) {
      throw new RekeyError("ABORTED", `the new secret '${name}' is empty; nothing was written`, { hint: `Run \`rekey edit ${name}\` again and enter its value.` });
    }
    const ciphertext = await encrypt(after, master.recipients);
    // The lock keeps rekey out, not a person or another tool: refuse to overwrite their change.
    if (digest !== undefined && sha256Hex(readRepoFile(repo.root, rel)) !== digest) {
      throw new RekeyError("STALE_PLAN", `${rel} changed on disk while it was being edited; nothing was written`, { file: rel, hint: `Run \`rekey edit ${name}\` again.` });
    }
    await writeSources(repo, new Map([[name, ciphertext]]), master);
    return { outcome: existed ? "updated" : "created", file: rel };
  } finally {
    before?.fill(0);
    after?.fill(0);
    await lock.release();
  }
}

/** Codes of a source that is there but unreadable: `--input` may replace it, the editor cannot edit it. */
const UNREADABLE = new Set(["BAD_SOURCE", "NOT_AGE_FILE", "TRUNCATED", "HEADER_MAC_MISMATCH", "PAYLOAD_CORRUPT", "NO_IDENTITY_MATCHED"]);

/**
 * The current plaintext. With `--input`, a source that cannot be read (a plaintext leak, a
 * damaged file, another key's file) is replaced, as `rekey check`'s hint suggests; undefined then.
 */
async function readCurrent(options: EditOptions, rel: string): Promise<Uint8Array | undefined> {
  const { repo, name } = options;
  try {
    const state = readSources(repo, [name]);
    const keys = loadMasterIdentities(repo, options.env);
    keys.notices.forEach(options.notice);
    return await decryptSource(state, name, keys.identities);
  } catch (e) {
    if (!isRekeyError(e) || !UNREADABLE.has(e.code)) throw e;
    if (options.input === undefined) {
      throw new RekeyError(e.code, e.message, { file: e.file ?? rel, hint: `${e.hint ?? ""} To replace it without reading it: \`rekey edit ${name} --input FILE\`.`.trim(), cause: e });
    }
    options.notice(`notice: replacing ${rel}, which cannot be read (${e.message})`);
    return undefined;
  }
}

async function editInTmpfs(name: string, content: Uint8Array, options: EditOptions): Promise<Uint8Array> {
  // Trapped from before the file exists until after it is gone: a signal removes it at once.
  let temp: EditFile | undefined;
  const trap = trapSignals(() => temp?.dispose());
  try {
    const editor = editorCommand(options.env, options.interactive); // fails early, before any plaintext is written
    temp = createEditFile(name, content, { env: options.env });
    let edited: Uint8Array;
    try {
      await runEditor([...editor, temp.file], trap);
      edited = new Uint8Array(readFileSync(temp.file));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") {
        throw new RekeyError("ABORTED", `the editor removed the temp file of '${name}'; nothing was written`, { hint: `Run \`rekey edit ${name}\` again.` });
      }
      throw e;
    } finally {
      temp.dispose();
    }
    if (trap.caught !== undefined) {
      edited.fill(0);
      throw new EditorInterrupted(trap.caught);
    }
    return edited;
  } finally {
    trap.release();
  }
}
