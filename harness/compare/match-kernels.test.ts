import { describe, expect, it } from 'vitest';
import { KERNEL_61, KERNEL_612, makeCase, sampleRun } from '../reporters/testing/sample-run.ts';
import type { KernelInfo } from '../results/run-result.ts';
import { matchCases } from './match-cases.ts';
import { kernelsOf, matchKernels } from './match-kernels.ts';
import { suitePresence } from './suite-presence.ts';
import { recordedRun } from './testing/recorded-runs.ts';

// Kernel records as the runs wrote them (fixtures/*.json), plus sample-run's 6.1.0-56 and 6.12.117.
const K61_47: KernelInfo = {
  id: 'debian-6.1.0-47-amd64-unsigned',
  release: '6.1.0-47-amd64',
  debianPackage: 'linux-image-6.1.0-47-amd64-unsigned',
  debianVersion: '6.1.170-3',
  upstreamVersion: '6.1.170',
};
const SIGNED_612: KernelInfo = { ...KERNEL_612, id: 'debian-6.12.117+deb12-amd64', debianPackage: 'linux-image-6.12.117+deb12-amd64' };

describe('matchKernels', () => {
  it('pairs the same kernel, then the same release, then one build per series', () => {
    expect(matchKernels([KERNEL_612, K61_47], [KERNEL_61, KERNEL_612])).toEqual({
      pairs: [
        { old: KERNEL_612, new: KERNEL_612, match: 'same-id' },
        { old: K61_47, new: KERNEL_61, match: 'same-series' },
      ],
      oldOnly: [],
      newOnly: [],
    });
    expect(matchKernels([KERNEL_612], [SIGNED_612]).pairs).toEqual([{ old: KERNEL_612, new: SIGNED_612, match: 'same-release' }]);
  });

  it('pairs the only kernel of each side whatever their versions, and says it is not the same kernel', () => {
    expect(matchKernels([K61_47], [KERNEL_612]).pairs).toEqual([{ old: K61_47, new: KERNEL_612, match: 'only-kernels' }]);
  });

  it('leaves ambiguous or extra kernels unpaired', () => {
    // Two 6.1 builds against one: which is the other's successor is not for compare to guess.
    const result = matchKernels([K61_47, KERNEL_61, KERNEL_612], [{ ...KERNEL_61, id: 'debian-6.1.0-57-amd64-unsigned', release: '6.1.0-57-amd64', upstreamVersion: '6.1.200' }]);
    expect(result.pairs).toEqual([]);
    expect(result.oldOnly).toHaveLength(3);
    expect(matchKernels([KERNEL_612, K61_47], [KERNEL_612])).toMatchObject({ pairs: [{ match: 'same-id' }], oldOnly: [K61_47], newOnly: [] });
  });
});

describe('matchCases', () => {
  it('groups repeats of a case per kernel pair, NEW order first, then what only OLD has', () => {
    const oldRun = sampleRun({
      kernels: [KERNEL_612],
      cases: [makeCase('passed', { key: 'a/gone' }), makeCase('passed', { key: 'a/x', repeatIndex: 1 }), makeCase('failed', { key: 'a/x' })],
    });
    const newRun = sampleRun({ kernels: [KERNEL_612], cases: [makeCase('passed', { key: 'a/x' }), makeCase('passed', { key: 'a/new' })] });
    const matching = matchCases(oldRun, newRun);
    expect(matching.cases.map((entry) => [entry.key, entry.old.map((r) => r.repeatIndex), entry.new.length])).toEqual([
      ['a/x', [0, 1], 1],
      ['a/new', [], 1],
      ['a/gone', [0], 0],
    ]);
    expect(matching.cases.every((entry) => entry.pair?.match === 'same-id' && entry.oldKernel === KERNEL_612)).toBe(true);
  });

  it('keeps a kernel only one run has on its own', () => {
    const oldRun = sampleRun({ kernels: [KERNEL_612, KERNEL_61], cases: [makeCase('passed', { key: 'a/x' }), makeCase('passed', { key: 'a/x', kernel: KERNEL_61 })] });
    const newRun = sampleRun({ kernels: [KERNEL_612], cases: [makeCase('passed', { key: 'a/x' })] });
    const matching = matchCases(oldRun, newRun);
    expect(matching.oldOnly).toEqual([KERNEL_61]);
    expect(matching.cases.map((entry) => [entry.pair?.match ?? null, entry.old.length, entry.new.length])).toEqual([
      ['same-id', 1, 1],
      [null, 1, 0],
    ]);
  });

  it('knows the kernels a run planned even when no case ran there', async () => {
    const interrupted = (await recordedRun('fixture612Interrupted')).run;
    expect(kernelsOf({ ...interrupted, cases: [] }).map((kernel) => kernel.release)).toEqual(['6.12.117+deb12-amd64']);
  });
});

describe('suitePresence', () => {
  it('tells the same suite file, a changed one, and one NEW does not have', async () => {
    const oldRun = (await recordedRun('fixture612')).run;
    const interrupted = (await recordedRun('fixture612Interrupted')).run;
    expect(suitePresence(oldRun, interrupted, 'compare-fixture')).toBe('same');
    const edited = { ...interrupted, suites: [{ path: 'harness/compare/fixtures/compare-fixture.yaml', sha256: '0'.repeat(64) }] };
    expect(suitePresence(oldRun, edited, 'compare-fixture')).toBe('changed');
    expect(suitePresence(oldRun, { ...interrupted, suites: [], cases: [] }, 'compare-fixture')).toBe('absent');
    // A suite whose file is not named after it cannot be told apart.
    expect(suitePresence(sampleRun(), sampleRun(), 'mce')).toBe('same');
    expect(suitePresence(sampleRun(), sampleRun({ suites: [] }), 'hwpoison')).toBe('unknown');
  });
});
