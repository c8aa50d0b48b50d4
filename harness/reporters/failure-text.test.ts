import { describe, expect, it } from 'vitest';
import type { StepRecord } from '../results/run-result.ts';
import { failureText, lastLines, stepOutputLines, stepToQuote } from './failure-text.ts';
import { makeCase } from './testing/sample-run.ts';

// Steps as executeCase records them; the commands and their output are the test's own.
const inject: StepRecord = { index: 0, kind: 'inject', location: 'suites/t.yaml:10:9', status: 'done', summary: 'echo 0x10000 > corrupt-pfn: ok', durationMs: 40 };
const shellFailed: StepRecord = {
  index: 1,
  kind: 'shell',
  location: 'suites/t.yaml:12:9',
  status: 'failed',
  summary: '`for i in 1 2 3 4 5 6 7; do echo line $i; done; echo oops >&2; exit 3` exited 3',
  durationMs: 90,
  exit: 3,
  stdout: 'line 1\nline 2\nline 3\nline 4\nline 5\nline 6\nline 7\n',
  stderr: 'oops\n',
};
const shellFailure = { message: 'suites/t.yaml:12:9: step shell: expected exit status 0, got 3; stderr: oops', location: 'suites/t.yaml:12:9' };

describe('stepOutputLines', () => {
  it('quotes the last lines of a failed shell step, per stream', () => {
    const result = makeCase('failed', { failure: shellFailure, steps: [inject, shellFailed] });
    expect(stepOutputLines(result)).toEqual([
      'output of step shell at suites/t.yaml:12:9, exit 3:',
      'stdout (last 5 of 7 lines):',
      '  line 3',
      '  line 4',
      '  line 5',
      '  line 6',
      '  line 7',
      'stderr:',
      '  oops',
    ]);
    expect(failureText(result)).toBe(
      [
        shellFailure.message,
        'at suites/t.yaml:12:9',
        '',
        'output of step shell at suites/t.yaml:12:9, exit 3:',
        'stdout (last 5 of 7 lines):',
        '  line 3',
        '  line 4',
        '  line 5',
        '  line 6',
        '  line 7',
        'stderr:',
        '  oops',
      ].join('\n'),
    );
  });

  it('quotes a shell step that exited non-zero without an expect:, when the case fails later', () => {
    const quiet: StepRecord = { index: 1, kind: 'shell', location: 'suites/t.yaml:12:9', status: 'done', summary: '`grep -q x /proc/meminfo` exited 1', durationMs: 20, exit: 1 };
    const ok: StepRecord = { ...quiet, index: 2, location: 'suites/t.yaml:13:9', summary: '`true` exited 0', exit: 0, stdout: 'fine\n' };
    const result = makeCase('failed', { failure: { message: 'expected 1 kernel event memory-failure' }, steps: [inject, quiet, ok] });
    expect(stepToQuote(result)).toBe(quiet);
    expect(stepOutputLines(result)).toEqual(['output of step shell at suites/t.yaml:12:9, exit 1:', '  (it printed nothing)']);
  });

  it('quotes nothing when the case passed, when it is flaky (its steps are the passing attempt\'s), or without a failing command', () => {
    expect(stepOutputLines(makeCase('passed', { steps: [inject, { ...shellFailed, status: 'done' }] }))).toEqual([]);
    expect(stepOutputLines(makeCase('flaky', { failure: shellFailure, steps: [inject, shellFailed] }))).toEqual([]);
    const passedShell: StepRecord = { ...shellFailed, status: 'done', exit: 0 };
    expect(stepOutputLines(makeCase('failed', { failure: { message: 'x' }, steps: [inject, passedShell] }))).toEqual([]);
    expect(failureText(makeCase('failed', { failure: { message: 'x' }, steps: [inject, passedShell] }))).toBe('x');
  });

  it('reads results written before output was kept: a failed step without exit or output is not quoted', () => {
    const old: StepRecord = { index: 1, kind: 'shell', location: 'suites/t.yaml:12:9', status: 'failed', summary: '`false` exited 1', durationMs: 10 };
    expect(stepOutputLines(makeCase('failed', { failure: shellFailure, steps: [old] }))).toEqual([]);
    expect(stepOutputLines(makeCase('failed', { failure: shellFailure }))).toEqual([]);
  });
});

describe('lastLines', () => {
  it('keeps the last lines, a trailing newline being no line', () => {
    expect(lastLines('a\nb\nc\n', 2)).toEqual({ lines: ['b', 'c'], earlier: 1 });
    expect(lastLines('a\nb', 5)).toEqual({ lines: ['a', 'b'], earlier: 0 });
  });
});
