import type { CaseResult, RunResult } from '../results/run-result.ts';
import { plannedCaseId, type Reporter, type ReporterCase } from './reporter.ts';

/** The reporters' view of a case already in a RunResult: its `index` is its place in `run.cases`. */
export function reporterCaseOf(result: CaseResult, index: number, total: number): ReporterCase {
  return { id: plannedCaseId(result), key: result.key, title: result.title, kernel: result.kernel, repeatIndex: result.repeatIndex, index, total };
}

/**
 * Feeds a finished (or merged) RunResult to reporters as if it were running: the same event
 * order a live run produces (its run errors first, then per case onCaseBegin, each attempt's
 * onAttemptBegin/onAttemptEnd, onCaseEnd), so every reporter regenerates its output from
 * results.json alone (shards merged after the fact, a report re-made with another reporter).
 */
export async function replayToReporters(run: RunResult, reporter: Reporter): Promise<void> {
  const total = run.cases.length;
  await reporter.onBegin({ ...run, cases: [], ...(run.errors ? { errors: [] } : {}), complete: false, endedAt: null }, { total, kernels: run.kernels });
  for (const error of run.errors ?? []) await reporter.onError(error);
  for (const [index, result] of run.cases.entries()) {
    const test = reporterCaseOf(result, index + 1, total);
    await reporter.onCaseBegin(test);
    for (const attempt of result.attempts) {
      await reporter.onAttemptBegin(test, { attempt: attempt.attempt });
      await reporter.onAttemptEnd(test, attempt);
    }
    await reporter.onCaseEnd(test, result);
  }
  await reporter.onEnd(run);
}
