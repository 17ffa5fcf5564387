/**
 * `rekey export [--format json|nix|colmena] [--host H]...`: the per-host map of output files
 * and deployment metadata, for an agenix `age.secrets` block, colmena or a deploy script.
 */
import { UsageError } from "../../core/errors.js";
import { buildExport, renderExportColmena, renderExportJson, renderExportNix } from "../../core/export.js";
import { openRepo } from "../../store/config.js";
import { loadState, outputPath } from "../../store/state.js";
import { listOption, stringOption, writeLine, type CommandContext, type CommandSpec } from "../command.js";

export const command: CommandSpec = {
  name: "export",
  summary: "Prints each host's output files and deployment metadata, as JSON, Nix (agenix) or colmena keys.",
  usage: "export [--format json|nix|colmena] [--host H]...",
  positionals: [0, 0],
  options: {
    format: { type: "string", valueName: "FORMAT", description: "json (default), nix (agenix age.secrets) or colmena (deployment.keys)" },
    host: { type: "string", multiple: true, valueName: "H", description: "only this host (repeatable)" },
  },
};

const FORMATS = ["json", "nix", "colmena"] as const;

export async function run(ctx: CommandContext): Promise<number> {
  const format = stringOption(ctx, "format") ?? "json";
  if (!(FORMATS as readonly string[]).includes(format)) throw new UsageError(`unknown export format '${format}'`, `Use --format ${FORMATS.join(", --format ")}.`);
  const repo = openRepo(ctx.cwd);
  const loaded = await loadState(repo);
  const wanted = listOption(ctx, "host");
  const known = new Set(loaded.hosts.map((h) => h.name));
  const unknown = wanted.filter((h) => !known.has(h));
  if (unknown.length > 0) throw new UsageError(`no host named ${unknown.map((h) => `'${h}'`).join(", ")}`, `Declared hosts: ${[...known].join(", ") || "(none)"}.`);
  const hosts = wanted.length === 0 ? loaded.hosts : loaded.hosts.filter((h) => wanted.includes(h.name));
  const doc = buildExport(hosts, (host, secret) => outputPath(repo, host, secret));
  const missing = hosts.flatMap((h) => h.secrets.filter((s) => !s.intermediary && loaded.state.outputs.get(h.name)?.files.has(s.name) !== true).map((s) => outputPath(repo, h.name, s.name)));
  if (missing.length > 0 && format !== "colmena") {
    writeLine(ctx.stderr, `warning: ${missing.length} output file${missing.length === 1 ? " does" : "s do"} not exist yet (${missing.slice(0, 3).join(", ")}${missing.length > 3 ? ", ..." : ""}); run \`rekey apply\` first.`);
  }
  if (format === "nix") ctx.stdout.write(renderExportNix(doc));
  else if (format === "colmena") ctx.stdout.write(renderExportColmena(doc, { repo: repo.root }));
  else ctx.stdout.write(renderExportJson(doc));
  return 0;
}
