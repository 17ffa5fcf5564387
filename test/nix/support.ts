/**
 * Running the real Nix tools in a test, without a daemon, without network and without
 * touching the machine's /nix or ~/.config/nix.
 *
 * The set-up, found with Debian's nix-bin (Nix 2.8) as root and as a plain user:
 * - `--store dummy://` for everything that needs no store contents: `nix key ...`,
 *   `nix-instantiate --parse` and `--eval` (a path value still prints as its store path in
 *   `--json` output, computed but never copied: `--eval` runs read-only). No NIX_STATE_DIR /
 *   NIX_STORE_DIR / NIX_LOG_DIR is needed.
 * - `--store <tmp>/store` (a local store rooted in a temp folder, "chroot store") for
 *   `nix-store --add/--import`, `nix store sign/verify`, and evaluations that must really copy
 *   files into a store (`--read-write-mode`): Nix creates its database there, no daemon.
 * - NIX_CONF_DIR and the XDG folders point at the temp folder, so neither /etc/nix/nix.conf
 *   nor the user's config apply; `substituters =` keeps Nix off the network (otherwise it
 *   asks cache.nixos.org about unknown paths, with retries).
 * - `nix-command` is enabled per call with `--extra-experimental-features`, as Nix 2.8 needs.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";

/** What a Nix process did. */
export interface NixRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@link runNix}. */
export interface NixRunOptions {
  /** The temp folder that holds Nix's config, cache and home for this test. */
  readonly sandbox: string;
  readonly input?: string;
  readonly cwd?: string;
  /** `--store` value; `dummy://` by default. */
  readonly store?: string;
  readonly env?: Readonly<Record<string, string>>;
}

/** The environment that isolates Nix inside `sandbox`. */
export function nixEnv(sandbox: string, extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  for (const dir of ["conf", "cache", "config", "data", "home"]) mkdirSync(path.join(sandbox, dir), { recursive: true });
  return {
    PATH: process.env.PATH ?? "",
    HOME: path.join(sandbox, "home"),
    NIX_CONF_DIR: path.join(sandbox, "conf"),
    XDG_CACHE_HOME: path.join(sandbox, "cache"),
    XDG_CONFIG_HOME: path.join(sandbox, "config"),
    XDG_DATA_HOME: path.join(sandbox, "data"),
    NIX_CONFIG: "substituters =\n",
    ...extra,
  };
}

/**
 * Runs `tool` (`nix`, `nix-instantiate`, `nix-store`) with `args`. For `nix` itself the
 * experimental `nix-command` feature is switched on.
 */
export function runNix(tool: "nix" | "nix-instantiate" | "nix-store", args: readonly string[], options: NixRunOptions): NixRun {
  const common = ["--store", options.store ?? "dummy://"];
  const full = tool === "nix" ? ["--extra-experimental-features", "nix-command", ...common, ...args] : [...common, ...args];
  const r = spawnSync(tool, full, {
    cwd: options.cwd ?? options.sandbox,
    env: nixEnv(options.sandbox, options.env),
    input: options.input ?? "",
    encoding: "utf8",
    timeout: 60_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Evaluates a Nix expression strictly and parses its JSON output; throws with Nix's stderr on
 * failure. With a real `store`, `--read-write-mode` makes path values really land in it
 * (`--eval` is read-only otherwise: store paths are computed, not written).
 */
export function evalJson(expr: string, options: NixRunOptions): unknown {
  const mode = options.store === undefined ? [] : ["--read-write-mode"];
  const r = runNix("nix-instantiate", ["--eval", "--strict", "--json", ...mode, "-E", expr], options);
  if (r.code !== 0) throw new Error(`nix-instantiate --eval failed (${r.code}):\n${r.stderr}`);
  return JSON.parse(r.stdout);
}
