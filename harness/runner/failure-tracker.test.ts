import { describe, expect, it } from 'vitest';
import type { AttemptResult } from '../results/run-result.ts';
import { FailureTracker } from './failure-tracker.ts';

const attempt = (n: number, verdict: AttemptResult['verdict']): AttemptResult => ({ attempt: n, verdict, durationMs: 1, isolation: 'restore' });

describe('FailureTracker', () => {
  it('retries failed, crashed and infra-error attempts while retries remain', () => {
    const tracker = new FailureTracker(1);
    expect(tracker.shouldRetry([attempt(1, 'failed')])).toBe(true);
    expect(tracker.shouldRetry([attempt(1, 'crashed')])).toBe(true);
    expect(tracker.shouldRetry([attempt(1, 'infra-error')])).toBe(true);
    expect(tracker.shouldRetry([attempt(1, 'failed'), attempt(2, 'failed')])).toBe(false);
    expect(tracker.shouldRetry([attempt(1, 'passed')])).toBe(false);
    expect(tracker.shouldRetry([attempt(1, 'xfail')])).toBe(false);
    expect(new FailureTracker(0).shouldRetry([attempt(1, 'failed')])).toBe(false);
  });

  it('calls a case that passed on retry flaky, and counts kernel failures', () => {
    const tracker = new FailureTracker(2);
    expect(tracker.record([attempt(1, 'crashed'), attempt(2, 'passed')])).toBe('flaky');
    expect(tracker.record([attempt(1, 'passed')])).toBe('passed');
    expect(tracker.record([attempt(1, 'failed'), attempt(2, 'failed'), attempt(3, 'failed')])).toBe('failed');
    expect(tracker.kernelFailures).toBe(1);
  });
});
