import type { AttemptResult, Verdict } from '../results/run-result.ts';

/** Attempt verdicts worth another try: the kernel or the harness may do better next time. */
export const RETRYABLE: ReadonlySet<AttemptResult['verdict']> = new Set(['failed', 'crashed', 'infra-error']);

/**
 * Decides retries and the final verdict of a case from its attempts (Playwright's failure
 * tracker): retry a failed/crashed/infra-error attempt while retries remain; a case that
 * failed and then passed is `flaky`. It also counts kernel failures across the run, so a
 * --max-failures could stop the run (not offered yet).
 */
export class FailureTracker {
  private failedCases = 0;

  constructor(readonly retries: number) {}

  shouldRetry(attempts: readonly AttemptResult[]): boolean {
    const last = attempts.at(-1);
    return last !== undefined && RETRYABLE.has(last.verdict) && attempts.length <= this.retries;
  }

  finalVerdict(attempts: readonly AttemptResult[]): Verdict {
    const last = attempts.at(-1);
    if (!last) throw new Error('a case without attempts has no verdict');
    if (last.verdict === 'passed' && attempts.slice(0, -1).some((attempt) => RETRYABLE.has(attempt.verdict))) return 'flaky';
    return last.verdict;
  }

  /** Records a finished case; returns its verdict. */
  record(attempts: readonly AttemptResult[]): Verdict {
    const verdict = this.finalVerdict(attempts);
    if (verdict === 'failed' || verdict === 'crashed' || verdict === 'xpass') this.failedCases += 1;
    return verdict;
  }

  get kernelFailures(): number {
    return this.failedCases;
  }
}
