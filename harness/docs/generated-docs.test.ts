import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSuite } from '../suite/load-suite.ts';
import { formatProblem } from '../suite/problems.ts';
import { projectRoot } from '../util/paths.ts';
import { GENERATE_COMMAND, renderDocFiles } from './doc-files.ts';
import { beginMarker, endMarker, replaceRegions } from './generated-regions.ts';

describe('generated documentation', () => {
  it('suites/README.md and README.md hold what the code tables generate', async () => {
    const results = await renderDocFiles(projectRoot);
    const stale = results.flatMap((result) => [
      ...result.problems.map((problem) => `${result.file}: ${problem}`),
      ...result.drifted.map((region) => `${result.file}: region '${region}' differs from what the code generates`),
    ]);
    expect(stale, `generated docs are stale; run \`${GENERATE_COMMAND}\` and commit the result:\n${stale.join('\n')}\n`).toEqual([]);
  });

  it('has a suite example in suites/README.md that lints as written', async () => {
    const text = await fs.readFile(path.join(projectRoot, 'suites/README.md'), 'utf8');
    const suites = [...text.matchAll(/^```yaml\n(suite:[\s\S]*?)^```$/gm)].map((match) => match[1]!);
    expect(suites.length).toBeGreaterThan(0);
    for (const yaml of suites) {
      const loaded = parseSuite(yaml, 'suites/README.md example');
      expect(loaded.problems.map(formatProblem)).toEqual([]);
    }
  });

  it('documents data patterns lint agrees with: a plain verify of a clean target checks the seed preparation wrote', () => {
    for (const kind of ['pagecache-clean', 'tmpfs-clean']) {
      const yaml = `suite: s\ntitle: t\ncases:\n  - id: c\n    title: t\n    steps:\n      - target: { name: t0, kind: ${kind} }\n      - verify: t0\n        expect: { intact: true }\n`;
      expect(parseSuite(yaml, 's.yaml').problems.map(formatProblem)).toEqual([]);
    }
  });
});

describe('replaceRegions', () => {
  const doc = ['# Title', 'hand-written', beginMarker('a'), 'old a', endMarker('a'), 'between', beginMarker('b'), 'b as generated', endMarker('b'), 'end'].join('\n');

  it('rewrites only the marked regions and names those that changed', () => {
    const update = replaceRegions(doc, { a: 'new a\nsecond line', b: 'b as generated' });
    expect(update.problems).toEqual([]);
    expect(update.drifted).toEqual(['a']);
    expect(update.text).toBe(['# Title', 'hand-written', beginMarker('a'), 'new a\nsecond line', endMarker('a'), 'between', beginMarker('b'), 'b as generated', endMarker('b'), 'end'].join('\n'));
    expect(replaceRegions(update.text, { a: 'new a\nsecond line', b: 'b as generated' }).drifted).toEqual([]);
  });

  it('reports regions the file lacks, regions nothing generates and unclosed ones, leaving their text alone', () => {
    const unknown = replaceRegions(doc, { a: 'x', b: 'y', c: 'z' });
    expect(unknown.problems).toEqual([`region 'c' is missing: add ${beginMarker('c')} and ${endMarker('c')} where it belongs`]);

    const extra = replaceRegions(doc, { a: 'x' });
    expect(extra.problems).toEqual([`line 7: no generator for region 'b' (known: a)`]);
    expect(extra.text).toContain('b as generated');

    const open = replaceRegions(['x', beginMarker('a'), 'kept'].join('\n'), { a: 'new' });
    expect(open.problems).toEqual([`region 'a' (line 2) has no END marker`]);
    expect(open.text).toBe(['x', beginMarker('a'), 'kept'].join('\n'));
  });
});
