/**
 * The judgement of `rekey check`: pure, from what the store found to a list of problems, each
 * naming its file and what to run. No I/O; the store side gathers the findings.
 */
import type { RepoPaths } from "../core/model.js";
import type { Action, Plan } from "../core/plan.js";
import { Reason } from "../core/plan.js";

/** What is wrong. */
export type ProblemKind = "plaintext" | "damaged" | "invalid" | "tampered" | "stale" | "pending";

/** One problem: the file, what is wrong, and what to run. */
export interface CheckProblem {
  readonly kind: ProblemKind;
  readonly file: string;
  readonly message: string;
  readonly fix: string;
}

/** An `*.age` file under the secrets or output folder that is not a well-formed age file. */
export interface BadAgeFile {
  readonly file: string;
  /** `empty` and `plaintext` fail the age magic line; `damaged` has a broken header. */
  readonly verdict: "empty" | "plaintext" | "damaged";
  readonly detail?: string;
}

/** A user-fixable error raised while loading the repository. */
export interface LoadFailure {
  readonly code: string;
  readonly message: string;
  readonly file?: string;
  readonly hint?: string;
}

/** Everything the judgement needs. */
export interface CheckFindings {
  readonly paths: RepoPaths;
  /** Judging the git index (`--staged`): fixes then say what to stage. */
  readonly staged: boolean;
  readonly badAgeFiles: readonly BadAgeFile[];
  /** Every load failure (config, manifests, provenance, ...); load stops at the first of a kind. */
  readonly failures: readonly LoadFailure[];
  /** The plan, when the repository loaded. */
  readonly plan?: Plan;
}

/**
 * Judges the findings. For example, a staged plaintext source gives:
 *
 * ```
 * { kind: "plaintext", file: "secrets/x.age", message: "secrets/x.age is not an age file (plaintext?)",
 *   fix: "run `git rm --cached secrets/x.age` and `rekey edit x --input FILE`" }
 * ```
 */
export function judgeCheck(findings: CheckFindings): CheckProblem[] {
  return [
    ...findings.badAgeFiles.map((f) => judgeAgeFile(findings, f)),
    ...findings.failures.flatMap(judgeFailure),
    ...(findings.plan?.actions ?? []).map((a) => judgeAction(findings, a)),
  ];
}

function judgeAgeFile({ paths, staged }: CheckFindings, f: BadAgeFile): CheckProblem {
  const what = f.verdict === "empty" ? "is empty, not an age file" : f.verdict === "plaintext" ? "is not an age file (plaintext?)" : `is a damaged age file: ${f.detail ?? "bad header"}`;
  const message = `${f.file} ${what}`;
  const unstage = staged ? `\`git rm --cached ${f.file}\`, then ` : "";
  if (isUnder(f.file, paths.output)) {
    return { kind: f.verdict === "damaged" ? "damaged" : "plaintext", file: f.file, message, fix: `run ${unstage}\`rekey apply\` and ${stage(paths.output)}` };
  }
  const name = f.file.slice(paths.secrets.length + 1, -".age".length);
  const fix =
    f.verdict === "damaged"
      ? `restore it with \`git checkout HEAD -- ${f.file}\`, or re-create it with \`rekey edit ${name}\``
      : staged
        ? `run \`git rm --cached ${f.file}\` and \`rekey edit ${name} --input FILE\``
        : `encrypt it with \`rekey edit ${name} --input FILE\` (FILE holding the plaintext, outside the repository), and never commit the plaintext`;
  return { kind: f.verdict === "damaged" ? "damaged" : "plaintext", file: f.file, message, fix };
}

function judgeFailure(f: LoadFailure): CheckProblem[] {
  const fix = f.hint ?? "fix it, then run `rekey check` again";
  const lines = f.message.split("\n");
  // A validation error lists one `file:line:col: problem` per line after a count.
  if (lines.length > 1 && /^\d+ problems?:$/.test(lines[0]!)) {
    return lines.slice(1).map((line) => {
      const text = line.trim();
      return { kind: "invalid", file: text.split(":")[0] ?? f.file ?? "", message: text, fix };
    });
  }
  return [{ kind: "invalid", file: f.file ?? "", message: f.message, fix }];
}

function judgeAction({ paths, staged }: CheckFindings, a: Action): CheckProblem {
  const verb = staged ? "run `rekey apply`, then" : "run `rekey apply` and";
  if (a.host === null) {
    const file = `${paths.secrets}/${a.secret}.age`;
    const message = a.action === "generate" ? `${file} is missing and must be generated (${a.reason})` : `${file} must be regenerated (${a.reason})`;
    return { kind: "pending", file, message, fix: `${verb} ${stage(paths.secrets)}` };
  }
  const file = `${paths.output}/${a.host}/${a.secret}.age`;
  const tampered = a.reason.includes(Reason.tampered);
  const state = a.action === "create" ? "is missing" : a.action === "remove" ? "is an orphan" : tampered ? "was changed outside rekey" : "is stale";
  return { kind: tampered ? "tampered" : "stale", file, message: `${file} ${state} (${a.reason})`, fix: `${verb} ${stage(paths.output)}` };
}

function stage(dir: string): string {
  return `\`git add ${dir}\``;
}

function isUnder(file: string, dir: string): boolean {
  return file.startsWith(`${dir}/`);
}

/** The plain-text report: one problem per line with its fix, then a summary; "" when all is well. */
export function renderProblems(problems: readonly CheckProblem[], staged: boolean): string {
  if (problems.length === 0) return "";
  const what = staged ? "the staged files" : "the working tree";
  const lines = problems.map((p) => `${p.message} — ${p.fix}`);
  const noun = problems.length === 1 ? "problem" : "problems";
  return `${lines.join("\n")}\n\nrekey check: ${problems.length} ${noun} in ${what}.\n`;
}

/** The `--json` document. */
export function problemsToJson(problems: readonly CheckProblem[]): { ok: boolean; problems: CheckProblem[] } {
  return { ok: problems.length === 0, problems: problems.map(({ kind, file, message, fix }) => ({ kind, file, message, fix })) };
}
