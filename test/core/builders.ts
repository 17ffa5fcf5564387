/**
 * Builders of planner input (RepoState) with no filesystem:
 *
 *   aState().withHost(aHost("web").withSecret("db")).withSource("db").build()
 *
 * Digests are readable fake strings ("src:db", "out:web/db"); the planner only compares them.
 */
import type { GeneratorRef, HostOutputs, HostState, OutputRecord, RepoState, SecretDecl, SourceRecord } from "../../src/core/model.js";

/** Options of one secret declaration. */
export interface SecretOptions {
  readonly generator?: string | GeneratorRef;
  readonly dependencies?: readonly string[];
  readonly intermediary?: boolean;
}

/** A secret declaration as the manifest loader would produce it. */
export function aSecret(name: string, options: SecretOptions = {}): SecretDecl {
  const g = options.generator;
  return {
    name,
    generator: g === undefined ? undefined : typeof g === "string" ? { name: g, settings: {} } : g,
    dependencies: [...(options.dependencies ?? [])],
    intermediary: options.intermediary ?? false,
    tags: [],
    meta: {},
    at: { file: "hosts/test.yaml", line: 1, col: 1 },
  };
}

/** Builds a declared host. */
export class HostBuilder {
  private recipient: string;
  private readonly secrets: SecretDecl[] = [];
  constructor(readonly name: string) {
    this.recipient = `key:${name}`;
  }
  withKey(recipient: string): this {
    this.recipient = recipient;
    return this;
  }
  withSecret(name: string, options: SecretOptions = {}): this {
    this.secrets.push(aSecret(name, options));
    return this;
  }
  build(): HostState {
    return { name: this.name, recipient: this.recipient, secrets: [...this.secrets].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) };
  }
}

/** A host named `name`, with recipient fingerprint `key:<name>` unless changed. */
export function aHost(name: string): HostBuilder {
  return new HostBuilder(name);
}

/** The digest the builders use for a source. */
export const sourceDigest = (name: string, version = 1): string => `src:${name}:v${version}`;
/** The digest the builders use for an output. */
export const outputDigest = (host: string, name: string): string => `out:${host}/${name}`;

/** Builds a RepoState. */
export class StateBuilder {
  private readonly hosts: HostState[] = [];
  private readonly sources = new Map<string, string>();
  private readonly records = new Map<string, SourceRecord>();
  private readonly outputs = new Map<string, { files: Map<string, string>; record: Map<string, OutputRecord> | undefined }>();

  withHost(host: HostBuilder | HostState): this {
    this.hosts.push(host instanceof HostBuilder ? host.build() : host);
    return this;
  }
  /** A source on disk; `digest` defaults to sourceDigest(name). */
  withSource(name: string, digest = sourceDigest(name)): this {
    this.sources.set(name, digest);
    return this;
  }
  /** A generated source with its record: dependencies as recorded at generation. */
  withGenerated(name: string, generator: string, dependencies: Readonly<Record<string, string>> = {}, digest = sourceDigest(name)): this {
    this.sources.set(name, digest);
    this.records.set(name, { masterRecipients: ["x25519:age1master"], generated: { generator, dependencies: { ...dependencies } } });
    return this;
  }
  /**
   * An output as the last apply left it: the file and its record agree, made from the
   * current source digest (or `options.source`) for the host's current key (or `options.recipient`).
   */
  withOutput(host: string, secret: string, options: { source?: string; recipient?: string; file?: string | null; recorded?: boolean } = {}): this {
    const entry = this.outputsOf(host);
    const output = outputDigest(host, secret);
    if (options.file !== null) entry.files.set(secret, options.file ?? output);
    if (options.recorded !== false) {
      entry.record ??= new Map();
      const recipient = options.recipient ?? this.hosts.find((h) => h.name === host)?.recipient ?? `key:${host}`;
      entry.record.set(secret, { source: options.source ?? this.sources.get(secret) ?? sourceDigest(secret), recipient, output });
    }
    return this;
  }
  /** Outputs for every delivered secret of every host, all up to date. */
  withAllOutputs(): this {
    for (const h of this.hosts) for (const s of h.secrets) if (!s.intermediary) this.withOutput(h.name, s.name);
    return this;
  }
  /** An output folder with a record but no outputs in it. */
  withEmptyOutputFolder(host: string): this {
    this.outputsOf(host).record ??= new Map();
    return this;
  }
  build(): RepoState {
    const outputs = new Map<string, HostOutputs>();
    for (const [host, o] of this.outputs) {
      outputs.set(host, { files: new Map(o.files), record: o.record === undefined ? undefined : { host, outputs: new Map(o.record) } });
    }
    return { hosts: [...this.hosts].sort((a, b) => (a.name < b.name ? -1 : 1)), sources: new Map(this.sources), sourceRecords: new Map(this.records), outputs };
  }
  private outputsOf(host: string) {
    let entry = this.outputs.get(host);
    if (entry === undefined) {
      entry = { files: new Map(), record: undefined };
      this.outputs.set(host, entry);
    }
    return entry;
  }
}

/** An empty repository state. */
export function aState(): StateBuilder {
  return new StateBuilder();
}
