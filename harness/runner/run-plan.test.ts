import { describe, expect, it } from 'vitest';
import { HarnessError } from '../util/errors.ts';
import { kernelFacts, parseSuite, type SuiteCase } from '../suite/index.ts';
import { applyRequirements, groupByGuest, parseShard, planWork, shardWork, type RunKernel } from './run-plan.ts';

const SUITE = `
suite: plan
title: planning
cases:
  - id: c\${n}
    title: case \${n}
    parameters: { n: [1, 2, 3] }
    steps: [{ shell: 'true' }]
  - id: big
    title: another guest
    guest: { memoryMiB: 1024 }
    steps: [{ shell: 'true' }]
  - id: new-only
    title: needs 6.12
    requires: { kernel: '>=6.12' }
    steps: [{ shell: 'true' }]
`;

function cases(): SuiteCase[] {
  const loaded = parseSuite(SUITE, 'plan.yaml');
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  return loaded.suite.cases;
}

const kernel = (release: string, version: string): RunKernel => ({ ref: release, info: { id: release, release }, facts: kernelFacts({ release, upstreamVersion: version }) });
const KERNELS = [kernel('6.1.0-56-amd64', '6.1.192'), kernel('6.12.117+deb12-amd64', '6.12.117')];

describe('planWork', () => {
  it('is kernel-major, suite order, repeats adjacent, numbered from 1', () => {
    const work = planWork(cases(), 2, 2);
    expect(work).toHaveLength(5 * 2 * 2);
    expect(work.slice(0, 3).map((w) => [w.kernelIndex, w.case.id, w.repeatIndex, w.index])).toEqual([
      [0, 'c1', 0, 1],
      [0, 'c1', 1, 2],
      [0, 'c2', 0, 3],
    ]);
    expect(work.at(-1)).toMatchObject({ kernelIndex: 1, repeatIndex: 1, index: 20 });
  });
});

describe('shards', () => {
  it('splits the work into contiguous slices that add up to the whole, each item once', () => {
    const work = planWork(cases(), 1, 2);
    for (const total of [1, 2, 3, 4, 7, 10, 13]) {
      const slices = Array.from({ length: total }, (_, i) => shardWork(work, { index: i + 1, total }));
      expect(slices.flat().map((w) => w.index), `n=${total}`).toEqual(work.map((w) => w.index));
      const sizes = slices.map((slice) => slice.length);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
  });

  it('parses i/n and refuses anything else', () => {
    expect(parseShard('2/3')).toEqual({ index: 2, total: 3 });
    for (const bad of ['0/3', '4/3', '1/0', '2', 'a/b', '1/2/3']) expect(() => parseShard(bad), bad).toThrow(HarnessError);
  });
});

describe('requirements and groups over kernels', () => {
  it('skips per kernel and groups by kernel and guest', () => {
    const plan = applyRequirements(planWork(cases(), 1, 2), KERNELS);
    expect(plan.filter((w) => w.skipReason).map((w) => [w.kernelIndex, w.case.id])).toEqual([[0, 'new-only']]);
    const groups = groupByGuest(plan);
    expect(groups.map((g) => [g.kernelIndex, g.cases.map((w) => w.case.id).join(',')])).toEqual([
      [0, 'c1,c2,c3'],
      [0, 'big'],
      [1, 'c1,c2,c3,new-only'],
      [1, 'big'],
    ]);
  });
});
