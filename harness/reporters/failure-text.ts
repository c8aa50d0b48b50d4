import type { AttemptResult, CaseResult } from '../results/run-result.ts';
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
