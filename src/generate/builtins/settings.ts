/**
 * A tiny schema for built-in generator settings: it lists precise problems for `validate()`
 * and gives typed values, defaults applied, to `generate()`.
 */
import { RekeyError } from "../../core/errors.js";

/** An integer setting with a default and an inclusive range. */
export interface IntegerSetting {
  readonly type: "integer";
  readonly default: number;
  readonly min: number;
  readonly max: number;
}

/** A string setting: required, defaulted, or optional (undefined when absent). */
export interface StringSetting {
  readonly type: "string";
  readonly required?: boolean;
  readonly default?: string;
  /** A value must match this, or the problem reads "setting X must be {@link rule}". */
  readonly pattern?: RegExp;
  readonly rule?: string;
}

/** The settings a generator accepts, by key. */
export type SettingsSchema = Readonly<Record<string, IntegerSetting | StringSetting>>;

/** The values {@link readSettings} returns for a schema. */
export type SettingsOf<S extends SettingsSchema> = {
  readonly [K in keyof S]: S[K] extends IntegerSetting
    ? number
    : S[K] extends { readonly required: true } | { readonly default: string }
      ? string
      : string | undefined;
};

/** Describes a value for a problem message: `"32" (a string)`. */
function describe(value: unknown): string {
  const kind = value === null ? "null" : Array.isArray(value) ? "a list" : `a ${typeof value}`;
  const shown = JSON.stringify(value) ?? String(value);
  return `${shown.length > 40 ? `${shown.slice(0, 37)}...` : shown} (${kind})`;
}

function checkOne(key: string, spec: IntegerSetting | StringSetting, value: unknown): string | undefined {
  if (spec.type === "integer") {
    if (typeof value !== "number" || !Number.isInteger(value)) return `setting "${key}" must be an integer, got ${describe(value)}`;
    if (value < spec.min || value > spec.max) return `setting "${key}" must be between ${spec.min} and ${spec.max}, got ${value}`;
    return undefined;
  }
  if (typeof value !== "string") return `setting "${key}" must be a string, got ${describe(value)}`;
  if (spec.pattern !== undefined && !spec.pattern.test(value)) {
    return `setting "${key}" must be ${spec.rule ?? `a string matching ${String(spec.pattern)}`}, got ${describe(value)}`;
  }
  return undefined;
}

/** Lists every problem with `settings`: unknown keys, missing required keys, wrong types, out-of-range values. */
export function checkSettings(generator: string, schema: SettingsSchema, settings: Readonly<Record<string, unknown>>): string[] {
  const known = Object.keys(schema);
  const problems: string[] = [];
  for (const key of Object.keys(settings)) {
    if (!Object.hasOwn(schema, key)) {
      const accepted = known.length === 0 ? "no settings" : `only ${known.join(", ")}`;
      problems.push(`unknown setting "${key}": ${generator} accepts ${accepted}`);
    }
  }
  for (const [key, spec] of Object.entries(schema)) {
    const value = settings[key];
    if (value === undefined) {
      if (spec.type === "string" && spec.required === true) problems.push(`setting "${key}" is required by ${generator}`);
      continue;
    }
    const problem = checkOne(key, spec, value);
    if (problem !== undefined) problems.push(problem);
  }
  return problems;
}

/** The settings with defaults applied. Throws GENERATOR_FAILED listing the problems when they are invalid. */
export function readSettings<S extends SettingsSchema>(generator: string, schema: S, settings: Readonly<Record<string, unknown>>): SettingsOf<S> {
  const problems = checkSettings(generator, schema, settings);
  if (problems.length > 0) {
    throw new RekeyError("GENERATOR_FAILED", `invalid settings for ${generator}: ${problems.join("; ")}`, {
      hint: "Fix the generator settings in the host manifest.",
    });
  }
  const values: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(schema)) values[key] = settings[key] ?? spec.default;
  return values as SettingsOf<S>;
}
