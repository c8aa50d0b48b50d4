import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRunResultFile } from '../results/read-run-result.ts';
import type { Verdict } from '../results/run-result.ts';
import { projectRoot } from '../util/paths.ts';
import { exactCasePattern, parseCaseRef } from './case-ref.ts';
import { classifyRun, crashTitlesOf, oneLineReason, REASON_MAX_CHARS, runRecordOf, runText, type CrashReference, type RunRecord } from './run-classification.ts';
import { markdownCell, markdownCode, markdownRuns, plainRuns, reasonLines } from './run-lines.ts';
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
    expect(classifyRun({ ...run('infra-error'), message: 'boot failed' }, ANY)).toMatchObject({ outcome: 'skip', why: 'infra-error', reason: 'boot failed' });
    expect(classifyRun({ ...run('skipped'), message: 'needs CONFIG_X' }, ANY)).toMatchObject({ outcome: 'skip', why: 'skipped', reason: 'needs CONFIG_X' });
  });

  it('counts a crash as failing where the failure is defined, elsewhere only with a reference title (normalised)', () => {
    expect(classifyRun(run('crashed', OOPS), ANY).outcome).toBe('fail');
    const reference: CrashReference = { kind: 'titles', titles: crashTitlesOf([run('crashed', OOPS)]) };
    expect(classifyRun(run('crashed', OOPS_AGAIN), reference).outcome).toBe('fail');
    expect(classifyRun(run('crashed', WARN), reference)).toMatchObject({ outcome: 'skip', why: 'crashed with another title', reason: WARN });
    expect(runText(classifyRun(run('crashed', OOPS), ANY))).toBe(`crashed: ${OOPS}`);
    expect(classifyRun(run('crashed', OOPS), { kind: 'titles', titles: [] }).outcome).toBe('skip');
  });
});

// Runs recorded on real guests (harness/compare/fixtures/README.md): compare-fixture.yaml on 6.1.0-47.
const FIXTURE_61 = path.join(projectRoot, 'harness/compare/fixtures/compare-fixture-6.1.json');

describe('run reasons', () => {
  it('are the first line of the failure, the crash title, the skip reason or the infra error, as recorded', async () => {
    const run61 = await readRunResultFile(FIXTURE_61);
    const shown = (caseId: string) => {
      const record = runRecordOf(run61.cases.find((result) => result.caseId === caseId)!);
      return runText(classifyRun(record, ANY));
    };
    expect(shown('coin-flip')).toBe('failed: harness/compare/fixtures/compare-fixture.yaml:72:9: step shell: expected exit status 0, got 1');
    expect(shown('panics-before-6.12')).toBe('crashed: kernel panic: sysrq triggered crash');
    expect(shown('soft-offline-sysctl')).toBe('skipped: needs enable-soft-offline-sysctl, which 6.1.0-47-amd64 does not have (case requires)');
    expect(shown('infra-before-6.12')).toBe("infra-error: harness/compare/fixtures/compare-fixture.yaml:57:9: set-up step release failed: helper release t0: no target named 't0'");
    expect(shown('steady')).toBe('passed');
    // The longest recorded first line (231 characters) is kept whole: its end says what the kernel did.
    expect(shown('broken')).toBe(
      "failed: expected at least 1 kernel event 'memory-failure' with pfn=$t0.pfn=0x10000 result=Ignored; the kernel logged none matching; 'memory-failure' events it did log: Memory failure: 0x10000: recovery action for free buddy page: Recovered",
    );
  });

  it('are one line, escaped: a guest\'s text cannot break the terminal or the report', () => {
    expect(oneLineReason('\n  first line\nsecond line')).toBe('first line');
    expect(oneLineReason('said \x1b[2J\u202e | `x`')).toBe('said \\x1b[2J\\u{202e} | `x`');
    expect(oneLineReason(`${'x'.repeat(400)}\nmore`)).toBe(`${'x'.repeat(REASON_MAX_CHARS - 1)}…`);
    expect(oneLineReason('')).toBeUndefined();
    expect(oneLineReason(undefined)).toBeUndefined();
  });

  it('are grouped per round for the progress lines and the reports', () => {
    const runs = [
      classifyRun({ ...run('failed', undefined, 0), message: 'step shell: expected exit status 0, got 1' }, ANY),
      classifyRun(run('passed', undefined, 1), ANY),
      classifyRun({ ...run('failed', undefined, 2), message: 'step shell: expected exit status 0, got 1' }, ANY),
      classifyRun({ ...run('infra-error', undefined, 3), message: 'a | b `c` *d*' }, ANY),
    ];
    expect(reasonLines(runs)).toEqual(['runs 1, 3 failed: step shell: expected exit status 0, got 1', 'run 4 infra-error: a | b `c` *d*']);
    expect(plainRuns(runs)).toBe('failed ×2: step shell: expected exit status 0, got 1; passed; infra-error: a | b `c` *d*');
    expect(markdownCell(markdownRuns(runs))).toBe('failed ×2 `step shell: expected exit status 0, got 1`, passed, infra-error ``a \\| b `c` *d*``');
    expect(markdownCode('`x`')).toBe('`` `x` ``');
  });

  it('show a state saved before reasons were kept as it was', () => {
    const old = { repeatIndex: 0, verdict: 'crashed' as const, crashTitle: WARN, outcome: 'skip' as const, why: `crashed with another title: ${WARN}` };
    expect(runText(old)).toBe(`crashed with another title: ${WARN}`);
    expect(reasonLines([old])).toEqual([]);
    expect(markdownRuns([old])).toBe(`crashed with another title: ${WARN}`);
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
