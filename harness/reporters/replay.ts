import type { RunResult } from '../results/run-result.ts';
import type { Reporter } from './reporter.ts';

/**
 * Feeds a finished (or merged) RunResult to reporters as if it were running: the same event
 * order a live run produces, so every reporter regenerates its output from results.json alone
 * (shards merged after the fact, a report re-made with another reporter).
 */
export async function replayToReporters(run: RunResult, reporter: Reporter): Promise<void> {
  const total = run.cases.length;
  await reporter.onBegin({ ...run, cases: [], complete: false, endedAt: null }, { total, kernels: run.kernels });
  for (const [index, result] of run.cases.entries()) {
    await reporter.onCaseBegin({
      key: result.key,
      title: result.title,
      kernel: result.kernel,
      index: index + 1,
      total,
      attempt: result.attempts.at(-1)?.attempt ?? 1,
    });
    await reporter.onCaseEnd(result);
  }
  await reporter.onEnd(run);
}
