/**
 * `rekey init [--identity PATH]`: scaffolds a new secrets repository and its master identity.
 */
import { initRepo } from "../../ops/init.js";
import { stringOption, writeLine, type CommandContext, type CommandSpec } from "../command.js";

export const command: CommandSpec = {
  name: "init",
  summary: "Scaffolds rekey.yaml, secrets/, hosts/, generators/ and a master identity in a new repository.",
  usage: "init [--identity PATH]",
  positionals: [0, 0],
  options: {
    identity: { type: "string", valueName: "PATH", description: "write the new master identity here (default: $XDG_CONFIG_HOME/rekey/master.txt)" },
  },
};

export async function run(ctx: CommandContext): Promise<number> {
  const identity = stringOption(ctx, "identity");
  const result = await initRepo({ dir: ctx.cwd, env: ctx.env, now: new Date(), ...(identity === undefined ? {} : { identity }) });
  if (ctx.json) {
    writeLine(ctx.stdout, JSON.stringify({ format_version: 1, root: ctx.cwd, identity: result.identityPath, recipient: result.recipient, files: result.files }));
    return 0;
  }
  const out = (line = ""): void => writeLine(ctx.stdout, line);
  out(`Created a rekey repository in ${ctx.cwd}:`);
  for (const file of result.files) out(`  ${file}`);
  out(`Created your master identity ${result.identityPath} (mode 0600).`);
  out(`  Its recipient, listed in rekey.yaml: ${result.recipient}`);
  out("  Back it up somewhere safe: without it, no source can be decrypted.");
  if (result.identityInRepo) out("  warning: it lies inside the repository; add it to .gitignore and never commit it.");
  out();
  out("Next steps:");
  out("  1. cp hosts/example.yaml.sample hosts/<host>.yaml, and set its pubkey (ssh-keyscan -t ed25519 <host>).");
  out("  2. Add secrets: `rekey edit <name>`, or declare a generator in the manifest.");
  out("  3. `rekey plan`, then `rekey apply`: this rekeys each secret for its hosts.");
  out("  4. `rekey hook install`, so that `rekey check` guards every commit.");
  return 0;
}
