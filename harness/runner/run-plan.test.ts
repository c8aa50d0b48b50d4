import { describe, expect, it } from 'vitest';
import { HarnessError } from '../util/errors.ts';
import { kernelFacts, parseSuite, type SuiteCase } from '../suite/index.ts';
import { applyRequirements, groupByGuest, parseShard, planGroups, planWork, shardPlan, shardWork, type PlannedCase, type RunKernel } from './run-plan.ts';

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
  it('deals out whole guest groups (kernel x guest spec) that add up to the whole, each item once', () => {
    const work = planWork(cases(), 2, 2);
    const groupOf = (entry: PlannedCase) => `${entry.kernelIndex}:${entry.case.guest.memoryMiB}`;
    for (const total of [1, 2, 3, 4, 7, 10, 13]) {
      const slices = Array.from({ length: total }, (_, i) => shardWork(work, { index: i + 1, total }));
      expect(slices.flat().map((w) => w.index).sort((a, b) => a - b), `n=${total}`).toEqual(work.map((w) => w.index));
      for (const slice of slices) expect(slice.map((w) => w.index), `n=${total}: plan order`).toEqual([...slice.map((w) => w.index)].sort((a, b) => a - b));
      // No group in two shards: none boots twice because of sharding.
      const owners = new Map<string, Set<number>>();
      slices.forEach((slice, i) => slice.forEach((w) => owners.set(groupOf(w), (owners.get(groupOf(w)) ?? new Set()).add(i))));
      for (const [group, shards] of owners) expect(shards.size, `n=${total}: ${group}`).toBe(1);
    }
  });

  it('balances the groups: on two kernels, one kernel each; shards beyond the groups are empty', () => {
    const work = planWork(cases(), 1, 2);
    const [first, second] = [1, 2].map((index) => shardWork(work, { index, total: 2 }));
    expect(first!.map((w) => [w.kernelIndex, w.case.id])).toEqual([[0, 'c1'], [0, 'c2'], [0, 'c3'], [0, 'big'], [0, 'new-only']]);
    expect(second!.map((w) => [w.kernelIndex, w.case.id])).toEqual([[1, 'c1'], [1, 'c2'], [1, 'c3'], [1, 'big'], [1, 'new-only']]);
    expect(shardPlan(work, 6).shards.map((shard) => shard.cases.length)).toEqual([4, 4, 1, 1, 0, 0]);
    expect(shardWork(work, { index: 6, total: 6 })).toEqual([]);
  });

  it("keeps a group's cases that requirements skip with the shard that owns the group", () => {
    const work = planWork(cases(), 1, 2);
    const shards = [1, 2, 3, 4].map((index) => shardWork(work, { index, total: 4 }));
    const owner = shards.findIndex((shard) => shard.some((w) => w.kernelIndex === 0 && w.case.id === 'c1'));
    expect(shards[owner]!.filter((w) => w.kernelIndex === 0).map((w) => w.case.id)).toEqual(['c1', 'c2', 'c3', 'new-only']);
    // After requirements, the shard lists new-only as skipped and boots one guest for the rest of the group.
    const plan = applyRequirements(shards[owner]!, KERNELS);
    expect(plan.filter((w) => w.skipReason).map((w) => [w.kernelIndex, w.case.id])).toEqual([[0, 'new-only']]);
    expect(groupByGuest(plan).map((g) => g.cases.map((w) => w.case.id).join(','))).toEqual(['c1,c2,c3']);
  });

  it('groups the whole plan by kernel and guest spec, skips to come included, cases in plan order', () => {
    const groups = planGroups(planWork(cases(), 2, 2));
    expect(groups.map((g) => [g.kernelIndex, g.cases.map((w) => `${w.case.id}.${w.repeatIndex}`).join(',')])).toEqual([
      [0, 'c1.0,c1.1,c2.0,c2.1,c3.0,c3.1,new-only.0,new-only.1'],
      [0, 'big.0,big.1'],
      [1, 'c1.0,c1.1,c2.0,c2.1,c3.0,c3.1,new-only.0,new-only.1'],
      [1, 'big.0,big.1'],
    ]);
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
