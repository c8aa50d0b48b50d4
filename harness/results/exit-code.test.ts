import { describe, expect, it } from 'vitest';
import { makeCase, sampleRun } from '../reporters/testing/sample-run.ts';
import { exitCodeForRun } from './exit-code.ts';
import type { Verdict } from './run-result.ts';

const runOf = (...verdicts: Verdict[]) => sampleRun({ cases: verdicts.map((verdict, index) => makeCase(verdict, { key: `k${index}` })) });

describe('exitCodeForRun', () => {
  it('is 0 when everything went as expected', () => {
    expect(exitCodeForRun(runOf('passed', 'xfail', 'skipped', 'flaky'))).toBe(0);
  });

  it('is 1 for kernel failures, whatever else happened', () => {
    for (const verdict of ['failed', 'xpass', 'crashed'] as const) {
      expect(exitCodeForRun(runOf('passed', verdict))).toBe(1);
      expect(exitCodeForRun(runOf('infra-error', verdict), { runErrors: 2 })).toBe(1);
      expect(exitCodeForRun({ ...runOf(verdict), interrupted: true, complete: false })).toBe(1);
    }
  });

  it('is 2 for infrastructure trouble', () => {
    expect(exitCodeForRun(runOf('passed', 'infra-error'))).toBe(2);
    expect(exitCodeForRun(runOf('passed'), { runErrors: 1 })).toBe(2);
    expect(exitCodeForRun({ ...runOf('passed'), complete: false })).toBe(2);
    expect(exitCodeForRun(runOf())).toBe(2);
  });

  it('is 0 for a run given no work (a shard with no guest group), unless something else went wrong', () => {
    expect(exitCodeForRun(runOf(), { noWorkGiven: true })).toBe(0);
    expect(exitCodeForRun(runOf(), { noWorkGiven: true, runErrors: 1 })).toBe(2);
    expect(exitCodeForRun({ ...runOf(), complete: false }, { noWorkGiven: true })).toBe(2);
  });

  it('is 130 for an interrupted run without kernel failures', () => {
    expect(exitCodeForRun({ ...runOf('passed'), interrupted: true, complete: false })).toBe(130);
  });
});
