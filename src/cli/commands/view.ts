/**
 * `rekey view SECRET`: prints a decrypted source to stdout, byte for byte.
 */
import { decryptSource } from "../../apply/apply.js";
import { RekeyError } from "../../core/errors.js";
import { checkSecretName, readSources, sourceExists } from "../../ops/sources.js";
import { openRepo } from "../../store/config.js";
import { loadMasterIdentities } from "../../store/identities.js";
import { sourcePath } from "../../store/state.js";
import { writeLine, type CommandContext, type CommandSpec } from "../command.js";

export const command: CommandSpec = {
  name: "view",
  summary: "Prints a secret's decrypted source to stdout.",
  usage: "view SECRET",
  positionals: [1, 1],
  options: {},
};

export async function run(ctx: CommandContext): Promise<number> {
  const name = ctx.positionals[0]!;
  checkSecretName(name);
  const repo = openRepo(ctx.cwd);
  const rel = sourcePath(repo, name);
  if (!sourceExists(repo, name)) {
    throw new RekeyError("SOURCE_MISSING", `${rel} does not exist`, { file: rel, hint: `Create it with \`rekey edit ${name}\`, or run \`rekey generate ${name}\` if a manifest declares its generator.` });
  }
  const state = readSources(repo, [name]);
  const keys = loadMasterIdentities(repo, ctx.env);
  for (const line of keys.notices) writeLine(ctx.stderr, line);
  const plaintext = await decryptSource(state, name, keys.identities);
  await new Promise<void>((resolve, reject) => ctx.stdout.write(plaintext, (e) => (e ? reject(e) : resolve())));
  plaintext.fill(0);
  return 0;
}
