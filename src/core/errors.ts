/**
 * The two error tiers (STYLE.md, pattern 5).
 *
 * A {@link RekeyError} is one the user can fix: it carries a stable code, a plain sentence,
 * the file it is about (when there is one) and what to run or change next. The CLI prints it
 * without a stack and exits 1. Anything else that escapes is a bug: exit 70 with the stack.
 */

/** Stable, machine-readable error codes. Tests and `--json` consumers match on these. */
export type ErrorCode =
  // crypto
  | "NO_IDENTITY_MATCHED"
  | "NOT_AGE_FILE"
  | "TRUNCATED"
  | "HEADER_MAC_MISMATCH"
  | "PAYLOAD_CORRUPT"
  | "UNSUPPORTED_KEY_TYPE"
  | "BAD_KEY"
  | "ENCRYPTED_KEY"
  // repository and input
  | "CONFIG_NOT_FOUND"
  | "INVALID_CONFIG"
  | "INVALID_MANIFEST"
  | "INVALID_NAME"
  | "SOURCE_MISSING"
  | "BAD_SOURCE"
  | "UNSAFE_PATH"
  | "LOCKED"
  | "STALE_PLAN"
  | "BAD_PLAN_FILE"
  | "NEEDS_CONFIRMATION"
  | "ABORTED"
  | "GENERATOR_FAILED"
  | "GENERATOR_CYCLE"
  | "UNKNOWN_GENERATOR"
  | "CHECK_FAILED"
  | "HOOK_EXISTS"
  | "EDITOR_FAILED"
  | "IO"
  | "USAGE"
  // master keys: plugins and passphrases
  | "PLUGIN_FAILED"
  | "WRONG_PASSPHRASE"
  | "NO_PROMPT";

export interface RekeyErrorOptions {
  /** The file the error is about, relative to the repository when possible. */
  readonly file?: string;
  /** What the user should run or change next, as one sentence. */
  readonly hint?: string;
  readonly cause?: unknown;
}

/** An error the user can fix. Never a bug. */
export class RekeyError extends Error {
  readonly code: ErrorCode;
  readonly file: string | undefined;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: RekeyErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "RekeyError";
    this.code = code;
    this.file = options.file;
    this.hint = options.hint;
  }

  /** A copy that names `file`, for errors raised below the layer that knows the path. */
  withFile(file: string, hint?: string): RekeyError {
    if (this.file !== undefined && hint === undefined) return this;
    return new RekeyError(this.code, this.message, { file: this.file ?? file, hint: hint ?? this.hint, cause: this.cause });
  }
}

/** A usage error: bad flags or arguments (exit 64). */
export class UsageError extends RekeyError {
  constructor(message: string, hint?: string) {
    super("USAGE", message, hint === undefined ? {} : { hint });
    this.name = "UsageError";
  }
}

/** True for errors the user can fix. */
export function isRekeyError(e: unknown): e is RekeyError {
  return e instanceof RekeyError;
}
