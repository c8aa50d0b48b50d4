import { describe, expect, it } from 'vitest';
import { comparisonJson, renderComparisonJson } from './comparison-json.ts';
import { CATEGORIES, countsLine, emptyCounts } from './comparison.ts';
import { compareRuns } from './compare-runs.ts';
import { mdCode, mdText, renderMarkdown } from './render-markdown.ts';
import { clip, renderText } from './render-text.ts';
import { recordedRun } from './testing/recorded-runs.ts';

async function regression() {
  return compareRuns(await recordedRun('fixture612'), await recordedRun('fixture61'));
}

describe('renderText', () => {
  it('is short: the counts, the two runs, the notes, then each regression and new crash with its first line', async () => {
    const text = renderText(await regression());
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('memharness compare: 1 new failure, 1 new crash, 1 still failing, 1 flaky, 1 infra-only failure, 1 skip changed, 1 unchanged');
    expect(lines[1]).toMatch(/^OLD 2026-\S+Z-[0-9a-f]{4} {2}6\.12\.117\+deb12-amd64 {2}\(7 cases, complete\)$/);
    expect(lines[2]).toMatch(/^NEW \S+ {2}6\.1\.0-47-amd64 {2}\(7 cases, complete\)$/);
    expect(lines[3]).toBe('note: different kernels: the cases of 6.12.117+deb12-amd64 (OLD) are compared with the same cases on 6.1.0-47-amd64 (NEW)');
    expect(lines.slice(4)).toEqual([
      '',
      'New failures (1):',
      '  compare-fixture/sigbus-inside-madvise [6.1.0-47-amd64]: passed → failed',
      expect.stringMatching(/^ {4}harness\/compare\/fixtures\/compare-fixture\.yaml:37:9: step inject: expected SIGBUS BUS_MCEERR_AR at \$t0\.vaddr=0x[0-9a-f]+, got none /),
      '',
      'New crashes (1):',
      '  compare-fixture/panics-before-6.12 [6.1.0-47-amd64]: passed → crashed: kernel panic: sysrq triggered crash',
    ]);
    expect(lines.every((line) => line.length <= 210)).toBe(true);
  });

  it('is the counts and the runs alone when nothing regressed', async () => {
    const run = await recordedRun('fixture612');
    const lines = renderText(compareRuns(run, run)).trimEnd().split('\n');
    expect(lines[0]).toBe('memharness compare: 1 still failing, 1 flaky, 5 unchanged');
    expect(lines).toHaveLength(3);
  });

  it('clips long messages to one line', () => {
    expect(clip('a\nb   c')).toBe('a b c');
    expect(clip('x'.repeat(300))).toHaveLength(200);
    expect(clip('x'.repeat(300)).endsWith('…')).toBe(true);
  });
});

describe('renderMarkdown', () => {
  it('has the verdict, the runs, the notes and every category but unchanged, regressions first', async () => {
    const md = renderMarkdown(await regression());
    expect(md.startsWith('# memharness compare: Regressed\n\n1 new failure, 1 new crash,')).toBe(true);
    expect(md).toMatch(/^\| OLD \| `[^`]+` \| 6\.12\.117\+deb12-amd64 \| 7 cases, complete \|$/m);
    expect(md).toContain('> **Note:** different kernels:');
    const headings = [...md.matchAll(/^## (.+)$/gm)].map((match) => match[1]);
    expect(headings).toEqual(['New failures (1)', 'New crashes (1)', 'Still failing (1)', 'Flaky (1)', 'Infra-only failures (1)', 'Skips changed (1)']);
    expect(md).toContain('- `compare-fixture/sigbus-inside-madvise` on 6.1.0-47-amd64: passed → failed\n  `harness/compare/fixtures/compare-fixture.yaml:37:9: step inject: expected SIGBUS');
    // The failure's location is named once: the message already starts with it.
    expect(md).not.toContain('(harness/compare/fixtures/compare-fixture.yaml:37:9)');
    expect(md).toContain("(harness/compare/fixtures/compare-fixture.yaml:27:9)");
    expect(md.endsWith('\n')).toBe(true);
  });

  it('escapes what Markdown would act on, and fences code spans around backticks', () => {
    expect(mdText('a *b* _c_ [d](e) <f> | `g`')).toBe('a \\*b\\* \\_c\\_ \\[d\\](e) \\<f\\> \\| \\`g\\`');
    expect(mdText('6.12.117+deb12-amd64 (case requires)')).toBe('6.12.117+deb12-amd64 (case requires)');
    expect(mdCode('plain')).toBe('`plain`');
    expect(mdCode('has `tick` in')).toBe('``has `tick` in``');
    expect(mdCode('`edge`')).toBe('`` `edge` ``');
    expect(mdCode('two\nlines')).toBe('`two lines`');
  });

  it('says so when nothing regressed', async () => {
    const md = renderMarkdown(compareRuns(await recordedRun('fixture61'), await recordedRun('fixture612')));
    expect(md.split('\n')[0]).toBe('# memharness compare: No regression');
    expect(md).toContain('## Fixed (2)');
  });
});

describe('compare.json', () => {
  it('is the comparison with its schema version and exit code, and parses back', async () => {
    const comparison = await regression();
    const json = JSON.parse(renderComparisonJson(comparison)) as ReturnType<typeof comparisonJson>;
    expect(json.schemaVersion).toBe(1);
    expect(json.exitCode).toBe(1);
    expect(json.regressed).toBe(true);
    expect(Object.keys(json.counts)).toEqual([...CATEGORIES]);
    expect(json.cases).toHaveLength(7);
    const crash = json.cases.find((entry) => entry.category === 'new-crash')!;
    expect(crash).toMatchObject({
      key: 'compare-fixture/panics-before-6.12',
      suite: 'compare-fixture',
      caseId: 'panics-before-6.12',
      oldKernel: { release: '6.12.117+deb12-amd64' },
      newKernel: { release: '6.1.0-47-amd64' },
      old: { verdicts: ['passed'], crashTitles: [] },
      new: { verdicts: ['crashed'], crashTitles: ['kernel panic: sysrq triggered crash'] },
    });
    expect(json).toEqual(JSON.parse(JSON.stringify(comparisonJson(comparison))));
  });

  it('counts nothing as "no cases in either run"', () => {
    expect(countsLine(emptyCounts())).toBe('no cases in either run');
  });
});
