import { describe, expect, it } from 'vitest';
import type { Verdict } from '../results/run-result.ts';
import { exactCasePattern, parseCaseRef } from './case-ref.ts';
import { classifyRun, crashTitlesOf, type CrashReference, type RunRecord } from './run-classification.ts';
import { decideStep, searchVerdictOf } from './step-decision.ts';

const run = (verdict: Verdict, crashTitle?: string, repeatIndex = 0): RunRecord => ({ repeatIndex, verdict, ...(crashTitle ? { crashTitle } : {}) });
const ANY: CrashReference = { kind: 'any' };
// A title as the crash parser gives it, and the same bug on another boot (other CPU, PID, offsets).
const OOPS = 'BUG: unable to handle page fault for address: ffff888012345000 in memory_failure+0x1a/0x2b0';
const OOPS_AGAIN = 'BUG: unable to handle page fault for address: ffff888076543000 in memory_failure+0x2c/0x2b0';
const WARN = 'WARNING in __folio_put';

describe('classifyRun', () => {
  it('counts failed, xfail and flaky as failing, passed and xpass as passing', () => {
    expect(['failed', 'xfail', 'flaky'].map((v) => classifyRun(run(v as Verdict), ANY).outcome)).toEqual(['fail', 'fail', 'fail']);
    expect(['passed', 'xpass'].map((v) => classifyRun(run(v as Verdict), ANY).outcome)).toEqual(['pass', 'pass']);
  });

  it('counts infra errors and skips as skip, never as failing', () => {
    expect(classifyRun({ ...run('infra-error'), message: 'boot failed' }, ANY)).toMatchObject({ outcome: 'skip', why: 'infra-error: boot failed' });
    expect(classifyRun({ ...run('skipped'), message: 'needs CONFIG_X' }, ANY)).toMatchObject({ outcome: 'skip', why: 'skipped: needs CONFIG_X' });
  });

  it('counts a crash as failing where the failure is defined, elsewhere only with a reference title (normalised)', () => {
    expect(classifyRun(run('crashed', OOPS), ANY).outcome).toBe('fail');
    const reference: CrashReference = { kind: 'titles', titles: crashTitlesOf([run('crashed', OOPS)]) };
    expect(classifyRun(run('crashed', OOPS_AGAIN), reference).outcome).toBe('fail');
    expect(classifyRun(run('crashed', WARN), reference)).toMatchObject({ outcome: 'skip', why: `crashed with another title: ${WARN}` });
    expect(classifyRun(run('crashed', OOPS), { kind: 'titles', titles: [] }).outcome).toBe('skip');
  });
});

describe('decideStep', () => {
  const classify = (verdicts: Verdict[]) => verdicts.map((v, i) => classifyRun(run(v, undefined, i), ANY));
  const rule = (runs: number, badThreshold: number) => ({ runs, badThreshold });

  it('is bad-like at K failing runs of N, a flaky run included', () => {
    expect(decideStep(classify(['failed', 'passed', 'passed']), 1, rule(3, 1)).decision).toBe('failing');
    expect(decideStep(classify(['flaky', 'passed', 'passed']), 1, rule(3, 1)).decision).toBe('failing');
    expect(decideStep(classify(['failed', 'failed', 'passed']), 1, rule(3, 2)).decision).toBe('failing');
  });

  it('is good-like only with no failing run and at least one passing run', () => {
    expect(decideStep(classify(['passed', 'infra-error', 'skipped']), 1, rule(3, 1)).decision).toBe('passing');
    expect(decideStep(classify(['infra-error', 'infra-error', 'skipped']), 1, rule(3, 1))).toMatchObject({ decision: 'skip', reason: expect.stringMatching(/no run could tell/) });
  });

  it('is inconclusive between, then decided on the accumulated runs with the threshold per round', () => {
    const first = classify(['failed', 'passed', 'passed']);
    expect(decideStep(first, 1, rule(3, 2)).decision).toBe('inconclusive');
    // 3 failing of 6 after two rounds: below 2 per round, still inconclusive, so a skip.
    expect(decideStep([...first, ...classify(['failed', 'failed', 'passed'])], 2, rule(3, 2)).decision).toBe('skip');
    expect(decideStep([...first, ...classify(['failed', 'failed', 'failed'])], 2, rule(3, 2)).decision).toBe('failing');
  });

  it('maps decisions to the search by direction: --fix looks for the first passing build', () => {
    expect([searchVerdictOf('failing', false), searchVerdictOf('passing', false), searchVerdictOf('skip', false)]).toEqual(['new', 'old', 'skip']);
    expect([searchVerdictOf('failing', true), searchVerdictOf('passing', true)]).toEqual(['old', 'new']);
  });
});

describe('--case', () => {
  it('takes SUITE:CASE_ID or the result key, and greps exactly that key', () => {
    expect(parseCaseRef('hwpoison-basic:poison-anon-debugfs')).toEqual({ suite: 'hwpoison-basic', caseId: 'poison-anon-debugfs', key: 'hwpoison-basic/poison-anon-debugfs' });
    expect(parseCaseRef('hwpoison-basic/anon-madvise-sigbus').key).toBe('hwpoison-basic/anon-madvise-sigbus');
    expect(() => parseCaseRef('no-separator')).toThrow(/expected SUITE:CASE_ID/);
    const pattern = exactCasePattern('hwpoison-basic/poison-anon-debugfs');
    expect(pattern.test('hwpoison-basic/poison-anon-debugfs')).toBe(true);
    expect(pattern.test('hwpoison-basic/poison-anon-debugfs-2')).toBe(false);
    expect(exactCasePattern('s/a.b[x]').test('s/a.b[x]')).toBe(true);
    expect(exactCasePattern('s/a.b[x]').test('s/aXb[x]')).toBe(false);
  });
});
