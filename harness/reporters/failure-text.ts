import type { AttemptResult, CaseResult, Recovery, StepRecord } from '../results/run-result.ts';
import { describeValue } from './text/describe-value.ts';

/**
 * The plain-text body of a failure, shared by JUnit and KTAP: the message, the expectation
 * as the suite wrote it, expected against actual, where it is in the suite, and what the
 * earlier attempts did. Not escaped: each renderer escapes for its own format.
 */
export function failureText(result: CaseResult): string {
  const lines: string[] = [];
  const failure = result.failure;
  if (failure) {
    lines.push(failure.message);
    if (failure.expectation) lines.push(`expectation: ${failure.expectation}`);
    if (failure.expected !== undefined) lines.push(`expected: ${describeValue(failure.expected)}`);
    if (failure.actual !== undefined) lines.push(`actual: ${describeValue(failure.actual)}`);
    if (failure.location) lines.push(`at ${failure.location}`);
  }
  const output = stepOutputLines(result);
  if (output.length > 0) lines.push('', ...output);
  if (result.verdict === 'xpass' && !failure) lines.push(`passed, but it was expected to fail${result.reference ? ` (${result.reference})` : ''}`);
  if (result.crash) {
    lines.push(`kernel crash (${result.crash.kind}): ${result.crash.title}`);
    if (result.crash.taint) lines.push(`taint: ${result.crash.taint}`);
    lines.push('', result.crash.report);
  }
  if (result.attempts.length > 1) lines.push('', ...attemptLines(result.attempts));
  return lines.join('\n');
}

export function attemptLines(attempts: readonly AttemptResult[]): string[] {
  return attempts.map((attempt) => {
    const why = attempt.failure?.message ?? attempt.crash?.title;
    return `attempt ${attempt.attempt} (${attempt.isolation}): ${attempt.verdict}${why ? `: ${why}` : ''}`;
  });
}

const RECOVERY_LABELS: Record<Recovery['what'], string> = {
  'restore-redone': 'restore redone',
  'restore-fell-back-to-boot': 'restore fell back to a boot',
  'snapshot-not-saved': 'snapshot not saved',
};

/** The infra hiccups the runner got over on the way to the case's guests, one line each, attempt by attempt. */
export function recoveryLines(attempts: readonly AttemptResult[]): string[] {
  return attempts.flatMap((attempt) => (attempt.recoveries ?? []).map((recovery) => `recovered (attempt ${attempt.attempt}): ${RECOVERY_LABELS[recovery.what] ?? recovery.what}: ${recovery.message}`));
}

/** Lines of a step's output quoted under a failure, per stream. */
export const QUOTED_OUTPUT_LINES = 5;

const VERDICTS_WITH_OUTPUT: ReadonlySet<CaseResult['verdict']> = new Set(['failed', 'xfail', 'crashed', 'infra-error']);

/**
 * The step whose output explains a failure: the last one that failed or whose command exited
 * non-zero (a shell step without `expect:` runs on after a non-zero exit, and the case fails
 * later). Only steps that carry a command's result (exit or output) count, and only when
 * the steps are the failing attempt's: a flaky case keeps the passing attempt's steps.
 */
export function stepToQuote(result: CaseResult): StepRecord | undefined {
  if (!VERDICTS_WITH_OUTPUT.has(result.verdict)) return undefined;
  const steps = result.steps ?? [];
  for (let i = steps.length - 1; i >= 0; i--) {
    const step = steps[i]!;
    const carries = step.exit !== undefined || step.stdout !== undefined || step.stderr !== undefined;
    if (carries && (step.status === 'failed' || (step.exit !== undefined && step.exit !== 0))) return step;
  }
  return undefined;
}

/** The last lines of text (a trailing newline is no line), and how many came before them. */
export function lastLines(text: string, count: number): { lines: string[]; earlier: number } {
  const lines = text.replace(/\n+$/, '').split('\n');
  if (lines.length <= count) return { lines, earlier: 0 };
  return { lines: lines.slice(-count), earlier: lines.length - count };
}

/**
 * The last lines of stdout and stderr of the step that explains the failure (stepToQuote),
 * each line indented by two spaces; none when no such step. The output is escaped at the
 * source (capStepOutput) but not for any format: renderers escape these lines.
 */
export function stepOutputLines(result: CaseResult, count = QUOTED_OUTPUT_LINES): string[] {
  const step = stepToQuote(result);
  if (!step) return [];
  const exit = step.exit === undefined ? '' : step.exit === null ? ', no exit status' : `, exit ${step.exit}`;
  const lines = [`output of step ${step.kind} at ${step.location}${exit}:`];
  for (const stream of ['stdout', 'stderr'] as const) {
    const text = step[stream];
    if (text === undefined) continue;
    const tail = lastLines(text, count);
    lines.push(`${stream}${tail.earlier > 0 ? ` (last ${tail.lines.length} of ${tail.lines.length + tail.earlier} lines)` : ''}:`, ...tail.lines.map((line) => `  ${line}`));
  }
  if (step.stdout === undefined && step.stderr === undefined) lines.push('  (it printed nothing)');
  return lines;
}
