/**
 * The command table and help text. Loading this module loads no command.
 */
import type { CommandSpec, OptionSpec } from "./command.js";

export const VERSION = "0.1.0";

/** Every command: its name, one line, and how to load it. */
export const COMMANDS: readonly { name: string; summary: string; load: () => Promise<unknown> }[] = [
  { name: "plan", summary: "show what apply would generate, create, update and remove", load: () => import("./commands/plan.js") },
  { name: "apply", summary: "generate missing secrets, rekey outputs, remove orphans", load: () => import("./commands/apply.js") },
  { name: "check", summary: "fail on plaintext secrets, invalid manifests, stale outputs or pending changes", load: () => import("./commands/check.js") },
  { name: "hook", summary: "hook install [--chain]: install the git pre-commit hook that runs `rekey check --staged`", load: () => import("./commands/hook.js") },
  { name: "generate", summary: "create missing secrets with their generators", load: () => import("./commands/generate.js") },
  { name: "edit", summary: "create or change a secret's source in $EDITOR, or from --input FILE|-", load: () => import("./commands/edit.js") },
  { name: "view", summary: "print a secret's decrypted source", load: () => import("./commands/view.js") },
  { name: "update-masterkeys", summary: "re-encrypt the sources whose master recipients differ from rekey.yaml", load: () => import("./commands/update-masterkeys.js") },
  { name: "init", summary: "scaffold rekey.yaml, secrets/, hosts/, generators/ and a master identity", load: () => import("./commands/init.js") },
  { name: "export", summary: "print each host's outputs and deployment metadata (json, nix, colmena)", load: () => import("./commands/export.js") },
  { name: "ssh-to-age", summary: "convert ssh-ed25519 keys to age recipients or identities", load: () => import("./commands/ssh-to-age.js") },
];

/** The top-level help. */
export function renderHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    `rekey ${VERSION}: a declarative rekey engine for age-encrypted secrets`,
    "",
    "Usage: rekey [-C DIR] [--json] [--no-color] COMMAND [ARGS]",
    "",
    "Commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Run `rekey COMMAND --help` for a command's options.",
    "Exit codes: 0 ok, 1 error to fix, 2 changes pending (plan --detailed-exitcode), 64 usage, 70 internal.",
    "",
  ].join("\n");
}

/** The help of one command. */
export function renderCommandHelp(spec: CommandSpec, globals: Readonly<Record<string, OptionSpec>>): string {
  const row = (name: string, o: OptionSpec) => {
    const flagText = `${o.short ? `-${o.short}, ` : "    "}--${name}${o.type === "string" ? ` ${o.valueName ?? "VALUE"}` : ""}`;
    return `  ${flagText.padEnd(28)}  ${o.description}`;
  };
  return [
    `Usage: rekey ${spec.usage}`,
    "",
    spec.summary,
    "",
    "Options:",
    ...Object.entries(spec.options).map(([n, o]) => row(n, o)),
    ...Object.entries(globals).map(([n, o]) => row(n, o)),
    "",
  ].join("\n");
}
