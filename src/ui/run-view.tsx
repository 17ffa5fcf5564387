/**
 * The Ink view of a running apply or generate: finished lines above, then a live progress
 * bar, then the summary. A function of RunState and the time; it runs no work.
 */
import { Box, Static, Text, useInput } from "ink";
import type { PlanSummary } from "../core/plan.js";
import { fitText } from "./ansi.js";
import { showsProgress, throughput, type RunLine, type RunState, type RunSummary } from "./run-state.js";

/** A yes/no question waiting for its answer. */
export interface PendingQuestion {
  readonly text: string;
  readonly answer: (yes: boolean) => void;
}

export interface RunViewProps {
  readonly state: RunState;
  readonly now: number;
  readonly columns: number;
  readonly question?: PendingQuestion | null;
  /** False when stdin cannot be read key by key (then the question is not shown). */
  readonly canAsk?: boolean;
}

/** The whole run. */
export function RunView({ state, now, columns, question = null, canAsk = true }: RunViewProps) {
  return (
    <>
      <Static items={[...state.lines]}>{(line) => <LineView key={line.id} line={line} />}</Static>
      {showsProgress(state, now) && <Progress state={state} now={now} columns={columns} />}
      {state.finished && <Summary finished={state.finished} />}
      {question && canAsk && <Confirm question={question} />}
    </>
  );
}

const GENERATE_VERB = { generate: "generated", regenerate: "regenerated" } as const;

function LineView({ line }: { line: RunLine }) {
  switch (line.kind) {
    case "notice":
      return <Text color="yellow">! {line.message}</Text>;
    case "generate":
      return (
        <Text>
          <Text color="magenta">*</Text> {GENERATE_VERB[line.action]} {line.secret} <Text dimColor>({line.generator})</Text>
        </Text>
      );
    case "output":
      return (
        <Text>
          <Text color={line.symbol === "+" ? "green" : line.symbol === "~" ? "yellow" : "red"}>{line.symbol}</Text> {line.host}: {line.secret}
        </Text>
      );
    case "answer":
      return (
        <Text>
          {line.question} <Text bold>{line.yes ? "yes" : "no"}</Text>
        </Text>
      );
  }
}

/** `[██████░░░░] 120/400  web3  db-password  2.1 s  57 outputs/s`, fitted to the width. */
export function Progress({ state, now, columns }: { state: RunState; now: number; columns: number }) {
  const total = Math.max(1, state.total ?? 1);
  const done = Math.min(state.done, total);
  const barWidth = Math.max(10, Math.min(30, columns - 60));
  const filled = Math.round((done / total) * barWidth);
  const rate = throughput(state, now);
  const elapsed = formatSeconds(now - (state.startedAt ?? now));
  const stats = `${done}/${total}  ${elapsed}${rate === null ? "" : `  ${formatRate(rate)} outputs/s`}`;
  const room = columns - barWidth - 2 - 2 - stats.length - 2;
  return (
    <Box>
      <Text color="cyan">{"█".repeat(filled)}</Text>
      <Text dimColor>{"░".repeat(barWidth - filled)}</Text>
      <Text>  {stats}</Text>
      {state.current !== null && room > 3 && <Text dimColor>  {fitText(state.current, room)}</Text>}
    </Box>
  );
}

/** `Applied: 1 generated, 2 created, 0 updated, 0 removed in 1.20 s (3 sources decrypted).` */
export function Summary({ finished }: { finished: RunSummary }) {
  return (
    <Box marginTop={1}>
      <Text>
        <Text bold color="green">Applied:</Text> {countsText(finished.summary)} in {formatSeconds(finished.elapsedMs)} ({finished.decrypted} source
        {finished.decrypted === 1 ? "" : "s"} decrypted).
      </Text>
    </Box>
  );
}

function Confirm({ question }: { question: PendingQuestion }) {
  useInput((input, key) => {
    if (/^y$/i.test(input)) question.answer(true);
    else if (/^n$/i.test(input) || key.return || key.escape || (key.ctrl && input === "c")) question.answer(false);
  });
  return (
    <Text>
      <Text bold>{question.text}</Text> [y/N]{" "}
    </Text>
  );
}

function countsText(s: PlanSummary): string {
  return `${s.generate} generated, ${s.create} created, ${s.update} updated, ${s.remove} removed`;
}

/** `0.42 s`, `12.3 s`, `2 min 05 s`. */
export function formatSeconds(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 10) return `${s.toFixed(2)} s`;
  if (s < 60) return `${s.toFixed(1)} s`;
  return `${Math.floor(s / 60)} min ${String(Math.floor(s % 60)).padStart(2, "0")} s`;
}

function formatRate(rate: number): string {
  return rate >= 100 ? String(Math.round(rate)) : rate.toFixed(1);
}
