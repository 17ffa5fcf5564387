/**
 * The domain model: what the repository declares (config, hosts, secrets) and what the
 * planner needs to know about the files on disk. Plain data only.
 */

/** Where something was declared: a file and a 1-based line and column. */
export interface Position {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

/** Which age stanza a host's output carries. `x25519` on an SSH host uses ssh-to-age. */
export type StanzaMode = "native" | "x25519";

/** Deployment metadata carried into `rekey export`. */
export interface DeployMeta {
  readonly owner?: string;
  readonly group?: string;
  readonly mode?: string;
  readonly path?: string;
  readonly symlink?: boolean;
}

/** A generator reference: the plugin name and its settings from the manifest. */
export interface GeneratorRef {
  readonly name: string;
  readonly settings: Readonly<Record<string, unknown>>;
}

/** One secret as a host manifest declares it, after glob expansion. */
export interface SecretDecl {
  readonly name: string;
  readonly generator: GeneratorRef | undefined;
  readonly dependencies: readonly string[];
  /** Generated and kept, never rekeyed to this host. */
  readonly intermediary: boolean;
  readonly tags: readonly string[];
  readonly meta: DeployMeta;
  readonly at: Position;
}

/** One host manifest. */
export interface HostDecl {
  /** The manifest's file stem. */
  readonly name: string;
  readonly file: string;
  /** The recipient text: `age1...` or `ssh-ed25519 AAAA...` (inline or read from `{file}`). */
  readonly pubkey: string;
  readonly stanza: StanzaMode;
  /** Sorted by name, unique. */
  readonly secrets: readonly SecretDecl[];
}

/** Repository paths, relative to the repository root, with '/' separators. */
export interface RepoPaths {
  readonly secrets: string;
  readonly hosts: string;
  readonly generators: string;
  readonly output: string;
}

/** rekey.yaml, with defaults applied. */
export interface Config {
  readonly masterRecipients: readonly string[];
  readonly identities: readonly string[];
  readonly paths: RepoPaths;
}

/** The provenance of one output: what it was made from, and what it was when written. */
export interface OutputRecord {
  /** SHA-256 (hex) of the master-encrypted source the output was made from. */
  readonly source: string;
  /** The fingerprint of the recipient (key and stanza kind) the output was encrypted to. */
  readonly recipient: string;
  /** SHA-256 (hex) of the output file as rekey wrote it. */
  readonly output: string;
}

/** A host's provenance record: one record per output. */
export interface HostRecord {
  readonly host: string;
  readonly outputs: ReadonlyMap<string, OutputRecord>;
}

/** The provenance of a generated source: the generator, and its dependencies' digests then. */
export interface GeneratedRecord {
  readonly generator: string;
  /** Dependency name to the SHA-256 (hex) of its source when this secret was generated. */
  readonly dependencies: Readonly<Record<string, string>>;
}

/** What the repository records about each source (secrets/ sources lock). */
export interface SourceRecord {
  /** Fingerprints of the master recipients the source was last encrypted to, sorted. */
  readonly masterRecipients: readonly string[];
  readonly generated: GeneratedRecord | undefined;
}

/** Everything the planner needs, gathered by the store without decrypting anything. */
export interface RepoState {
  /** Sorted by name. */
  readonly hosts: readonly HostState[];
  /** Source name to the SHA-256 (hex) of secrets/<name>.age, for every source that exists. */
  readonly sources: ReadonlyMap<string, string>;
  readonly sourceRecords: ReadonlyMap<string, SourceRecord>;
  /** Every host that has anything in the output folder: its record and files. */
  readonly outputs: ReadonlyMap<string, HostOutputs>;
}

/** A declared host, reduced to what the plan depends on. */
export interface HostState {
  readonly name: string;
  /** Fingerprint of the recipient this host's outputs must be encrypted to. */
  readonly recipient: string;
  readonly secrets: readonly SecretDecl[];
}

/** What is in a host's output folder, and its provenance record. */
export interface HostOutputs {
  readonly record: HostRecord | undefined;
  /** Output secret name to the SHA-256 (hex) of the file on disk. */
  readonly files: ReadonlyMap<string, string>;
}
