import { describe, expect, it } from 'vitest';
import { KERNEL_61, KERNEL_612, makeCase, sysrqCrash } from '../reporters/testing/sample-run.ts';
import type { CaseResult, CrashInfo, Verdict } from '../results/run-result.ts';
import { classifyCase, describeVerdicts, summariseSide, type ClassifyContext } from './classify-case.ts';
import type { KernelPair } from './comparison.ts';
import type { MatchedCase } from './match-cases.ts';

// Results built in code around real guest text (sample-run.ts): each rule of the
// classification in isolation. compare-runs.test.ts checks the same rules on recorded runs.

const PAIR: KernelPair = { old: KERNEL_612, new: KERNEL_612, match: 'same-id' };

function context(overrides: Partial<ClassifyContext> = {}): ClassifyContext {
  return { newIncomplete: null, newIsShard: false, suitePresence: () => 'same', oldCrashKeys: new Set(), ...overrides };
}

function result(verdict: Verdict, overrides: Partial<CaseResult> = {}): CaseResult {
  return makeCase(verdict, { key: 'hwpoison/case', caseId: 'case', ...overrides });
}

function crashed(crash: CrashInfo): CaseResult {
  return result('crashed', { crash, attempts: [{ attempt: 1, verdict: 'crashed', durationMs: 10, isolation: 'restore', crash }] });
}

function entry(old: CaseResult[], neu: CaseResult[], pair: KernelPair | null = PAIR): MatchedCase {
  const matched: MatchedCase = { key: 'hwpoison/case', old, new: neu };
  if (pair) {
    matched.pair = pair;
    matched.oldKernel = pair.old;
    matched.newKernel = pair.new;
  } else {
    if (old[0]) matched.oldKernel = old[0].kernel;
    if (neu[0]) matched.newKernel = neu[0].kernel;
  }
  return matched;
}

function category(old: CaseResult[], neu: CaseResult[], ctx: ClassifyContext = context()) {
  return classifyCase(entry(old, neu), ctx).category;
}

const failure = { message: "expected 1 kernel event 'memory-failure' result=Ignored\nsecond line", location: 'suites/x.yaml:3:9' };
const panic = sysrqCrash();
const oops: CrashInfo = { title: 'BUG: unable to handle page fault for address: ffff888004a1c000', kind: 'oops', report: 'BUG: ...' };
const sameOopsElsewhere: CrashInfo = { ...oops, title: 'BUG: unable to handle page fault for address: ffff888007b2d000' };

describe('classifyCase', () => {
  it('a pass turning into a failure is a new failure; failing before too is still failing', () => {
    expect(category([result('passed')], [result('failed', { failure })])).toBe('new-failure');
    expect(category([result('passed')], [result('xpass')])).toBe('new-failure');
    expect(category([result('infra-error')], [result('failed', { failure })])).toBe('new-failure');
    expect(category([result('failed')], [result('failed', { failure })])).toBe('still-failing');
    expect(category([result('xfail')], [result('failed')])).toBe('still-failing');
    expect(category([result('failed')], [result('xfail')])).toBe('still-failing');
  });

  it('a crash title OLD did not have is a new crash, compared as normalised titles', () => {
    expect(category([result('passed')], [crashed(panic)])).toBe('new-crash');
    expect(category([result('failed')], [crashed(panic)])).toBe('new-crash');
    expect(category([crashed(oops)], [crashed(panic)])).toBe('new-crash');
    expect(classifyCase(entry([crashed(oops)], [crashed(panic)]), context()).reason).toBe(`crashed → crashed: ${panic.title} (was: ${oops.title})`);
    // The same oops at another address is the same crash.
    expect(category([crashed(oops)], [crashed(sameOopsElsewhere)])).toBe('still-failing');
    expect(category([crashed(panic)], [crashed(panic)])).toBe('still-failing');
    // A panic on an attempt that a retry got past is still a panic.
    const retried = result('flaky', { attempts: [{ attempt: 1, verdict: 'crashed', durationMs: 1, isolation: 'restore', crash: panic }, { attempt: 2, verdict: 'passed', durationMs: 1, isolation: 'boot' }] });
    expect(category([result('passed')], [retried])).toBe('new-crash');
  });

  it('fixed, unchanged, and xfail as the suite expecting a failure', () => {
    expect(category([result('failed')], [result('passed')])).toBe('fixed');
    expect(category([crashed(panic)], [result('passed')])).toBe('fixed');
    expect(category([result('xfail')], [result('passed')])).toBe('fixed');
    expect(category([result('passed')], [result('passed')])).toBe('unchanged');
    expect(category([result('passed')], [result('xfail')])).toBe('unchanged');
    expect(category([result('xfail')], [result('xfail')])).toBe('unchanged');
    expect(category([result('flaky')], [result('passed')])).toBe('unchanged');
  });

  it('flaky: a flaky verdict, repeats that disagree, or a flaky case failing again', () => {
    expect(category([result('passed')], [result('flaky')])).toBe('flaky');
    const repeats = [result('passed'), result('failed', { repeatIndex: 1, failure }), result('passed', { repeatIndex: 2 })];
    expect(category([result('passed')], repeats)).toBe('flaky');
    expect(classifyCase(entry([result('passed')], repeats), context()).reason).toBe('passed → passed, failed, passed');
    expect(category([result('flaky')], [result('failed', { failure })])).toBe('flaky');
  });

  it('infra-error in NEW is not the kernel regressing, unless a repeat failed on the kernel', () => {
    expect(category([result('passed')], [result('infra-error')])).toBe('infra');
    expect(category([result('failed')], [result('infra-error')])).toBe('infra');
    expect(category([result('passed')], [result('infra-error'), result('failed', { repeatIndex: 1 })])).toBe('new-failure');
  });

  it('skip changes either way; a case skipped on both sides is unchanged', () => {
    const skipped = result('skipped', { skipReason: 'needs enable-soft-offline-sysctl', attempts: [] });
    expect(category([skipped], [result('passed')])).toBe('skipped-changed');
    expect(category([skipped], [result('failed')])).toBe('skipped-changed');
    expect(category([result('passed')], [skipped])).toBe('skipped-changed');
    expect(classifyCase(entry([result('passed')], [skipped]), context()).reason).toBe('passed → skipped: needs enable-soft-offline-sysctl');
    expect(category([skipped], [skipped])).toBe('unchanged');
  });

  it('new cases, and new cases that crash in a way OLD never did', () => {
    expect(category([], [result('failed')])).toBe('new-case');
    expect(category([], [crashed(panic)])).toBe('new-crash');
    expect(category([], [crashed(panic)], context({ oldCrashKeys: new Set(['kernel panic: sysrq triggered crash']) }))).toBe('new-case');
    expect(classifyCase(entry([], [result('passed', { kernel: KERNEL_61 })], null), context()).reason).toBe(`new case (kernel ${KERNEL_61.release} is not in OLD): passed`);
  });

  it('absent from a complete NEW: removed; from an incomplete one: missing unless its suite or kernel is gone', () => {
    const old = [result('passed')];
    expect(category(old, [])).toBe('removed');
    expect(classifyCase(entry(old, []), context()).reason).toMatch(/unchanged \(filtered out by --grep\/--tag\?\)/);
    const interrupted = context({ newIncomplete: 'the run was interrupted' });
    expect(category(old, [], interrupted)).toBe('missing');
    expect(classifyCase(entry(old, []), interrupted).reason).toBe('was passed; not run: the run was interrupted');
    expect(classifyCase(entry(old, []), { ...interrupted, suitePresence: () => 'changed' }).reason).toMatch(/may also have been removed$/);
    expect(category(old, [], { ...interrupted, suitePresence: () => 'absent' })).toBe('removed');
    expect(classifyCase(entry([result('passed', { kernel: KERNEL_61 })], [], null), interrupted)).toEqual({
      category: 'removed',
      reason: `was passed; kernel ${KERNEL_61.release} is not in NEW`,
    });
    // A shard lacks what other shards ran.
    const shard = context({ newIncomplete: 'the run is shard 1/3', newIsShard: true, suitePresence: () => 'absent' });
    expect(category(old, [], shard)).toBe('missing');
  });

  it('a case NEW listed as skipped because it stopped early (--max-failures) is missing', () => {
    const stop = 'not run: --max-failures 1 reached';
    const notRun = result('skipped', { skipReason: stop, attempts: [] });
    const ctx = context({ newIncomplete: `the run stopped early (${stop})`, newStopReason: stop });
    expect(classifyCase(entry([result('passed')], [notRun]), ctx)).toEqual({ category: 'missing', reason: `was passed; not run: ${stop}` });
    // The same in OLD: NEW's result has nothing to be compared with.
    expect(category([notRun], [result('failed')], context({ oldStopReason: stop }))).toBe('new-case');
  });
});

describe('summariseSide', () => {
  it('keeps verdicts per repeat, distinct crash titles and the first line of the first failure', () => {
    expect(summariseSide([result('passed'), result('failed', { repeatIndex: 1, failure })])).toEqual({
      verdicts: ['passed', 'failed'],
      crashTitles: [],
      firstLine: "expected 1 kernel event 'memory-failure' result=Ignored",
      location: 'suites/x.yaml:3:9',
    });
    expect(summariseSide([crashed(panic), crashed(panic)])).toMatchObject({ crashTitles: [panic.title], firstLine: `kernel crashed: ${panic.title}` });
    expect(summariseSide([result('skipped', { skipReason: 'needs x' })])).toMatchObject({ skipReason: 'needs x', firstLine: 'needs x' });
  });

  it('describes repeats compactly', () => {
    expect(describeVerdicts(['passed'])).toBe('passed');
    expect(describeVerdicts(['failed', 'failed', 'failed'])).toBe('failed ×3');
    expect(describeVerdicts(['passed', 'failed'])).toBe('passed, failed');
    expect(describeVerdicts([])).toBe('absent');
  });
});
