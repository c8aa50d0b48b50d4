import { describe, expect, it } from 'vitest';
import { KERNEL_61, KERNEL_612, makeCase, sampleRun } from '../reporters/testing/sample-run.ts';
import type { CaseResult } from '../results/run-result.ts';
import { parseSuite, type SuiteCase } from '../suite/index.ts';
import { planGroups, planWork, shardWork, type PlannedCase } from './run-plan.ts';
import { assignGroups, BOOT_MS, CASE_MS, describeAssignment, describeSpec, RESTORE_MS, shardNotes, weighByCount, weighByDurations, type PlanGroup, type ShardAssignment } from './shard-groups.ts';

/** A suite whose cases fall into guest groups of the given sizes (group g: memoryMiB 1024 + 64 g). */
function suiteOfGroups(sizes: readonly number[], id = 'shards'): SuiteCase[] {
  const cases = sizes.flatMap((size, group) =>
    Array.from({ length: size }, (_, i) => `  - id: g${group}-c${i}\n    title: group ${group} case ${i}\n    guest: { memoryMiB: ${1024 + 64 * group} }\n    steps: [{ shell: 'true' }]\n`),
  );
  const loaded = parseSuite(`suite: ${id}\ntitle: sharding\ncases:\n${cases.join('')}`, `${id}.yaml`);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  return loaded.suite.cases;
}

const groupsOf = (sizes: readonly number[], kernels = 1) => planGroups(planWork(suiteOfGroups(sizes), 1, kernels));
/** Each shard's groups, named by their first case (g<group>-c0, with the kernel when there are several). */
const names = (assignment: ShardAssignment) => assignment.shards.map((shard) => shard.groups.map((group) => `${group.kernelIndex}:${group.cases[0]!.case.id}`));
const countMs = (cases: number) => BOOT_MS + cases * (CASE_MS + RESTORE_MS);

/** Every planned case in exactly one shard, and every group in exactly one shard, whole. */
function expectPartition(groups: readonly PlanGroup[], assignment: ShardAssignment): void {
  const all = groups.flatMap((group) => group.cases.map((entry) => entry.index)).sort((a, b) => a - b);
  expect(assignment.shards.flatMap((shard) => shard.cases.map((entry) => entry.index)).sort((a, b) => a - b)).toEqual(all);
  for (const group of groups) {
    const owners = assignment.shards.filter((shard) => shard.cases.some((entry) => group.cases.includes(entry)));
    expect(owners, group.key).toHaveLength(1);
    expect(owners[0]!.cases.filter((entry) => group.cases.includes(entry))).toEqual(group.cases);
  }
  for (const shard of assignment.shards) expect(shard.cases.map((entry) => entry.index)).toEqual([...shard.cases.map((entry) => entry.index)].sort((a, b) => a - b));
}

describe('assignGroups', () => {
  it('balances whole groups by case count, heaviest first to the lightest shard', () => {
    const groups = groupsOf([5, 4, 3, 3, 2, 1]);
    const assignment = assignGroups(groups, 3);
    // By weight (a boot and 2.2 s a case): 5 → shard 1, 4 → 2, 3 → 3, 3 → 3 (the lightest), 2 → 2, 1 → 1.
    expect(names(assignment)).toEqual([['0:g0-c0', '0:g5-c0'], ['0:g1-c0', '0:g4-c0'], ['0:g2-c0', '0:g3-c0']]);
    expect(assignment.shards.map((shard) => shard.cases.length)).toEqual([6, 6, 6]);
    expect(assignment.shards.map((shard) => shard.weightMs)).toEqual([countMs(5) + countMs(1), countMs(4) + countMs(2), countMs(3) + countMs(3)]);
    expect(assignment.basis).toBe(weighByCount.basis);
    expect(assignment.oversized).toEqual([]);
    expectPartition(groups, assignment);
  });

  it('counts a boot per group, so many small groups do not look free', () => {
    // A group of six and six groups of one: by case count alone, 6 cases and 1 boot against 6 cases and 6 boots.
    const groups = groupsOf([6, 1, 1, 1, 1, 1, 1]);
    const assignment = assignGroups(groups, 2);
    expect(assignment.shards.map((shard) => [shard.groups.length, shard.cases.length])).toEqual([
      [3, 8],
      [4, 4],
    ]);
  });

  it('adds up to the whole plan, each case once and each group whole, for any n', () => {
    const groups = groupsOf([7, 1, 3, 3, 2, 9, 1, 4], 2);
    for (let total = 1; total <= 20; total++) {
      const assignment = assignGroups(groups, total);
      expect(assignment.shards).toHaveLength(total);
      expectPartition(groups, assignment);
      // LPT's bound: no shard carries more than the ideal share plus its heaviest group.
      const heaviest = Math.max(...groups.map((group) => weighByCount.weigh(group)));
      for (const shard of assignment.shards) expect(shard.weightMs).toBeLessThanOrEqual(assignment.idealMs + heaviest);
    }
  });

  it('is deterministic: the same plan gives the same shards whatever order the groups come in, ties to the group first in the plan and the lowest shard', () => {
    const groups = groupsOf([2, 2, 2, 2, 2]);
    const assignment = assignGroups(groups, 2);
    expect(names(assignment)).toEqual([['0:g0-c0', '0:g2-c0', '0:g4-c0'], ['0:g1-c0', '0:g3-c0']]);
    const reversed = assignGroups([...groups].reverse(), 2);
    expect(names(reversed)).toEqual(names(assignment));
    expect(reversed.shards.map((shard) => shard.cases.map((entry) => entry.index))).toEqual(assignment.shards.map((shard) => shard.cases.map((entry) => entry.index)));
    expect(JSON.stringify(assignGroups(groupsOf([2, 2, 2, 2, 2]), 2))).toBe(JSON.stringify(assignment));
  });

  it('keeps a group heavier than a shard\'s share whole, and says so', () => {
    const groups = groupsOf([20, 2, 2]);
    const assignment = assignGroups(groups, 2);
    expect(names(assignment)).toEqual([['0:g0-c0'], ['0:g1-c0', '0:g2-c0']]);
    expect(assignment.oversized.map((group) => group.cases.length)).toEqual([20]);
    const refs = ['6.1.0-56'];
    expect(shardNotes(assignment, refs)).toEqual([
      `6.1.0-56 › guest memoryMiB=1024 (shards) weighs ${(countMs(20) / 1000).toFixed(1)} s, more than a shard's share (${(assignment.idealMs / 1000).toFixed(1)} s): it stays whole on shard 1/2, since a guest group is never split`,
    ]);
    expect(shardNotes(assignment, refs, 2)).toEqual([]);
    expect(assignGroups(groups, 1).oversized).toEqual([]);
  });

  it('leaves shards beyond the number of groups empty: valid, running nothing, with a note', () => {
    const groups = groupsOf([3, 1]);
    const assignment = assignGroups(groups, 4);
    expect(assignment.shards.map((shard) => shard.cases.length)).toEqual([3, 1, 0, 0]);
    expectPartition(groups, assignment);
    expect(shardNotes(assignment, [undefined], 3)).toEqual(['shard 3/4 got no guest group (2 group(s) for 4 shards): it runs nothing']);
    expect(assignGroups([], 2).shards.map((shard) => shard.cases)).toEqual([[], []]);
  });

  it('refuses a shard count that is not a positive integer', () => {
    expect(() => assignGroups([], 0)).toThrow(/positive integer/);
  });
});

describe('weighByDurations', () => {
  /** A previous run's result for a planned case of suiteOfGroups. */
  const result = (entry: PlannedCase, durationMs: number, overrides: Partial<CaseResult> = {}): CaseResult => ({ ...makeCase('passed', { caseId: entry.case.id }), key: entry.case.key, durationMs, repeatIndex: entry.repeatIndex, kernel: KERNEL_612, ...overrides });

  it("balances by a previous run's durations: one slow case outweighs many quick ones", () => {
    const work = planWork(suiteOfGroups([1, 3, 3]), 1, 1);
    const durations = new Map([['g0-c0', 60_000]]);
    const previous = sampleRun({ cases: work.map((entry) => result(entry, durations.get(entry.case.id) ?? 1_000)) });
    const groups = planGroups(work);
    const byCount = assignGroups(groups, 2);
    expect(names(byCount)).toEqual([['0:g0-c0', '0:g1-c0'], ['0:g2-c0']]);
    const byDurations = assignGroups(groups, 2, weighByDurations(previous, [undefined]));
    expect(names(byDurations)).toEqual([['0:g0-c0'], ['0:g1-c0', '0:g2-c0']]);
    expect(byDurations.shards.map((shard) => shard.weightMs)).toEqual([BOOT_MS + 60_000 + RESTORE_MS, 2 * (BOOT_MS + 3 * (1_000 + RESTORE_MS))]);
    expect(byDurations.basis).toMatch(/^durations of run /);
    expectPartition(groups, byDurations);
  });

  it('weighs a case the run lacks at the median of those it ran, one it skipped at 0, and a group of skipped cases without its boot', () => {
    const work = planWork(suiteOfGroups([3, 2]), 1, 1);
    const [a, b, c, d, e] = work as [PlannedCase, PlannedCase, PlannedCase, PlannedCase, PlannedCase];
    // a: 1 s, b: missing, c: 5 s, d and e: skipped; the median of what ran (1 s, 5 s, and 9 s of a case not planned) is 5 s.
    const stray = { ...result(a, 9_000), key: 'other/case' };
    const previous = sampleRun({ cases: [result(a, 1_000), result(c, 5_000), result(d, 0, { verdict: 'skipped' }), result(e, 0, { verdict: 'skipped' }), stray] });
    const weigher = weighByDurations(previous, [undefined]);
    const [first, second] = planGroups(work) as [PlanGroup, PlanGroup];
    expect(weigher.weigh(first)).toBe(BOOT_MS + (1_000 + RESTORE_MS) + (5_000 + RESTORE_MS) + (5_000 + RESTORE_MS));
    expect(b.case.id).toBe('g0-c1');
    expect(weigher.weigh(second)).toBe(0);
    // A run with nothing that ran: a missing case weighs the constant.
    expect(weighByDurations(sampleRun({ cases: [] }), [undefined]).weigh(first)).toBe(BOOT_MS + 3 * (CASE_MS + RESTORE_MS));
  });

  it("takes the duration on the kernel the ref names, else the case's median over the run's kernels, and the same repeat where there is one", () => {
    const work = planWork(suiteOfGroups([1]), 2, 1);
    const [r0, r1] = work as [PlannedCase, PlannedCase];
    const previous = sampleRun({
      kernels: [KERNEL_61, KERNEL_612],
      cases: [result(r0, 1_000, { kernel: KERNEL_61 }), result(r1, 3_000, { kernel: KERNEL_61 }), result(r0, 10_000), result(r1, 20_000)],
    });
    const [group] = planGroups(work) as [PlanGroup];
    expect(weighByDurations(previous, ['6.1.0-56']).weigh(group)).toBe(BOOT_MS + 1_000 + 3_000 + 2 * RESTORE_MS);
    expect(weighByDurations(previous, ['6.12.117']).weigh(group)).toBe(BOOT_MS + 10_000 + 20_000 + 2 * RESTORE_MS);
    // latest-6.12 names no kernel of that run: the median of both kernels' durations of the same repeat.
    expect(weighByDurations(previous, ['latest-6.12']).weigh(group)).toBe(BOOT_MS + (1_000 + 10_000) / 2 + (3_000 + 20_000) / 2 + 2 * RESTORE_MS);
  });
});

describe('shardWork over a plan', () => {
  it('gives a group that used to straddle two slices to one shard only', () => {
    // Slices of 3 would have cut the 4-case group after its 3rd case: it booted in both shards.
    const work = planWork(suiteOfGroups([4, 1, 1]), 1, 1);
    const shards = [1, 2].map((index) => shardWork(work, { index, total: 2 }).map((entry) => entry.case.id));
    expect(shards).toEqual([['g0-c0', 'g0-c1', 'g0-c2', 'g0-c3'], ['g1-c0', 'g2-c0']]);
  });
});

describe('describeAssignment', () => {
  it("prints every shard's groups with their weights, this shard marked, then the notes", () => {
    const groups = groupsOf([3, 1], 2);
    const assignment = assignGroups(groups, 5);
    const lines = describeAssignment(assignment, 2, ['6.1.0-56', 'latest-6.12']);
    const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    expect(lines).toEqual([
      `shards by guest group, weighed by ${weighByCount.basis}:`,
      `  shard 1/5: 1 group(s), 3 case(s), ${s(countMs(3))}`,
      `    6.1.0-56 › guest memoryMiB=1024 (shards): 3 case(s), ${s(countMs(3))}`,
      `  shard 2/5 (this shard): 1 group(s), 3 case(s), ${s(countMs(3))}`,
      `    latest-6.12 › guest memoryMiB=1024 (shards): 3 case(s), ${s(countMs(3))}`,
      `  shard 3/5: 1 group(s), 1 case(s), ${s(countMs(1))}`,
      `    6.1.0-56 › guest memoryMiB=1088 (shards): 1 case(s), ${s(countMs(1))}`,
      `  shard 4/5: 1 group(s), 1 case(s), ${s(countMs(1))}`,
      `    latest-6.12 › guest memoryMiB=1088 (shards): 1 case(s), ${s(countMs(1))}`,
      '  shard 5/5: no group',
      `note: 6.1.0-56 › guest memoryMiB=1024 (shards) weighs ${s(countMs(3))}, more than a shard's share (${s(assignment.idealMs)}): it stays whole on shard 1/5, since a guest group is never split`,
      `note: latest-6.12 › guest memoryMiB=1024 (shards) weighs ${s(countMs(3))}, more than a shard's share (${s(assignment.idealMs)}): it stays whole on shard 2/5, since a guest group is never split`,
      'note: shard 5/5 got no guest group (4 group(s) for 5 shards): it runs nothing',
    ]);
  });

  it('names a spec by what it changes from the default guest', () => {
    const [plain] = planGroups(planWork(parseSuiteCases("suite: s\ntitle: t\ncases:\n  - { id: a, title: a, steps: [{ shell: 'true' }] }\n"), 1, 1)) as [PlanGroup];
    expect(describeSpec(plain.spec)).toBe('default guest');
    expect(describeSpec({ ...plain.spec, cpus: 2, cmdline: ['nohz_full=1'] })).toBe('guest cmdline=["nohz_full=1"] cpus=2');
  });
});

function parseSuiteCases(text: string): SuiteCase[] {
  const loaded = parseSuite(text, 's.yaml');
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  return loaded.suite.cases;
}
