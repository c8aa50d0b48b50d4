import { Parser } from 'tap-parser';
import { describe, expect, it } from 'vitest';
import { buildKtap } from './ktap-format.ts';
import { allLevels, checkKtap, KtapError, type KtapLevel } from './testing/ktap-v1-checker.ts';
import { makeCase, sampleRun } from './testing/sample-run.ts';

/** What tap-parser makes of one KTAP level (it reads a level's own lines; deeper ones are "extra"). */
function tapParse(lines: readonly string[]): Promise<{ ok: boolean; count: number; pass: number; fail: number; skip: number; todo: number; planEnd: number | null }> {
  return new Promise((resolve) => {
    const parser = new Parser((result) =>
      resolve({ ok: result.ok, count: result.count, pass: result.pass, fail: result.fail, skip: result.skip, todo: result.todo, planEnd: result.plan.end }),
    );
    parser.end(`${lines.join('\n')}\n`);
  });
}

function levelNames(level: KtapLevel): string[] {
  return level.results.map((result) => result.description);
}

describe('buildKtap', () => {
  it('is strict KTAP v1, nested kernel > suite > case', () => {
    const tree = checkKtap(buildKtap(sampleRun()));
    expect(levelNames(tree)).toEqual(['6.12.117+deb12-amd64', '6.1.0-56-amd64']);
    expect(levelNames(tree.results[0]!.subtests!)).toEqual(['hwpoison', 'mce']);
    expect(levelNames(tree.results[1]!.subtests!)).toEqual(['mce', 'hwpoison']);
  });

  it('maps every verdict to a KTAP result and directive', () => {
    const tree = checkKtap(buildKtap(sampleRun()));
    const cases = allLevels(tree)
      .filter((level) => level.results.every((result) => !result.subtests))
      .flatMap((level) => level.results);
    const byTitle = new Map(cases.map((result) => [result.description.replace(/ \[.*$/, ''), result]));
    expect(byTitle.get('passed case')).toMatchObject({ ok: true });
    expect(byTitle.get('passed case')!.data).toBeUndefined();
    expect(byTitle.get('failed case')).toMatchObject({ ok: false });
    expect(byTitle.get('failed case')!.diagnostics).toContain('expectation: event memory-failure result=Recovered');
    expect(byTitle.get('xfail case')).toMatchObject({ ok: true, directive: 'XFAIL' });
    expect(byTitle.get('xpass case')).toMatchObject({ ok: false });
    expect(byTitle.get('xpass case')!.directive).toBeUndefined();
    expect(byTitle.get('skipped case')).toMatchObject({ ok: true, directive: 'SKIP', data: 'SKIP needs hugetlb pages (nr_hugepages=0)' });
    expect(byTitle.get('crashed case')).toMatchObject({ ok: false });
    expect(byTitle.get('crashed case')!.diagnostics).toContain('Kernel panic - not syncing: sysrq triggered crash');
    expect(byTitle.get('infra-error case')).toMatchObject({ ok: false, directive: 'ERROR' });
    expect(byTitle.get('flaky case')).toMatchObject({ ok: true });
    expect(byTitle.get('flaky case')!.data).toMatch(/^flaky: passed on attempt 2 of 2/);
  });

  it('fails a parent when a subtest fails, and skips it when all its subtests were skipped', () => {
    const run = sampleRun({
      cases: [makeCase('skipped', { skipReason: 'no hugetlb', suite: 'a' }), makeCase('passed', { suite: 'b' }), makeCase('xfail', { suite: 'b', caseId: 'x' })],
    });
    const tree = checkKtap(buildKtap(run));
    const suites = tree.results[0]!.subtests!.results;
    expect(suites[0]).toMatchObject({ description: 'a', ok: true, directive: 'SKIP' });
    expect(suites[1]).toMatchObject({ description: 'b', ok: true });
    expect(tree.results[0]).toMatchObject({ ok: true });
  });

  it('keeps "#" and control characters of guest text out of descriptions and lines', () => {
    const run = sampleRun({
      cases: [
        makeCase('failed', {
          title: 'case #1\nnot ok 7 injected',
          failure: { message: 'guest said:\n\x1b[31mnot ok 1 fake\x1b[0m\r\n# SKIP' },
        }),
      ],
    });
    const text = buildKtap(run);
    const tree = checkKtap(text);
    const result = tree.results[0]!.subtests!.results[0]!.subtests!.results[0]!;
    expect(result.description).toBe('case \\x231\\x0anot ok 7 injected [method=debugfs, target=free]');
    expect(result.ok).toBe(false);
    expect(result.diagnostics).toContain('\\x1b[31mnot ok 1 fake\\x1b[0m');
    expect(text).not.toContain('\x1b');
  });

  it('reports errors outside any case as ERROR results, and says when the run was interrupted', () => {
    const text = buildKtap(sampleRun({ interrupted: true, complete: false }), { errors: [{ message: 'kernel 6.13 not found' }] });
    const tree = checkKtap(text);
    expect(tree.results.at(-1)).toMatchObject({ ok: false, directive: 'ERROR', data: 'ERROR kernel 6.13 not found' });
    expect(text).toContain('# run interrupted');
  });

  it('is valid for an empty run', () => {
    const tree = checkKtap(buildKtap(sampleRun({ cases: [] })));
    expect(tree.plan).toBe(0);
  });

  it('parses with tap-parser, level by level, to the same counts', async () => {
    const tree = checkKtap(buildKtap(sampleRun(), { errors: [{ message: 'boom' }] }));
    for (const level of allLevels(tree)) {
      const tap = await tapParse(level.source);
      expect(tap.planEnd).toBe(level.plan);
      expect(tap.count).toBe(level.results.length);
      expect(tap.fail).toBe(level.results.filter((result) => !result.ok).length);
      expect(tap.skip).toBe(level.results.filter((result) => result.directive === 'SKIP').length);
      expect(tap.ok).toBe(level.results.every((result) => result.ok));
    }
  });
});

describe('checkKtap (the checker itself)', () => {
  it('accepts the spec example', () => {
    const example = [
      'KTAP version 1',
      '1..1',
      '  KTAP version 1',
      '  1..3',
      '    KTAP version 1',
      '    1..1',
      '    # test_1: initializing test_1',
      '    ok 1 test_1',
      '  ok 1 example_test_1',
      '    KTAP version 1',
      '    1..2',
      '    ok 1 test_1 # SKIP test_1 skipped',
      '    ok 2 test_2',
      '  ok 2 example_test_2',
      '    KTAP version 1',
      '    1..3',
      '    ok 1 test_1',
      '    # test_2: FAIL',
      '    not ok 2 test_2',
      '    ok 3 test_3 # SKIP test_3 skipped',
      '  not ok 3 example_test_3',
      'not ok 1 main_test',
      '',
    ].join('\n');
    const tree = checkKtap(example);
    expect(tree.results[0]!.subtests!.results.map((result) => result.ok)).toEqual([true, true, false]);
  });

  it.each([
    ['a wrong version', 'TAP version 13\n1..0\n'],
    ['a missing plan', 'KTAP version 1\nok 1 a\n'],
    ['a miscount', 'KTAP version 1\n1..2\nok 1 a\n'],
    ['a skipped number', 'KTAP version 1\n1..2\nok 1 a\nok 3 b\n'],
    ['ERROR on ok', 'KTAP version 1\n1..1\nok 1 a # ERROR x\n'],
    ['a passing parent of a failure', 'KTAP version 1\n1..1\n  KTAP version 1\n  1..1\n  not ok 1 a\nok 1 p\n'],
    ['an unknown line', 'KTAP version 1\n1..1\nhello\nok 1 a\n'],
    ['three-space indentation', 'KTAP version 1\n1..1\n   KTAP version 1\nok 1 a\n'],
  ])('rejects %s', (_name, text) => {
    expect(() => checkKtap(text)).toThrow(KtapError);
  });
});
