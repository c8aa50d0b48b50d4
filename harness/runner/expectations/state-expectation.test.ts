import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { diffSnapshots } from '../../state/state-diff.ts';
import { parseSnapshot } from '../../state/state-snapshot.ts';
import type { SnapshotExtras } from '../../state/snapshot-command.ts';
import { parseSuite, type Expectation } from '../../suite/index.ts';
import { testObservations } from '../testing/observations.ts';
import { evaluateExpectation } from './evaluate.ts';

const STATE_FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'state', 'fixtures');
const recorded = (name: string) => fs.readFileSync(path.join(STATE_FIXTURES, '6.12.117+deb12-amd64', name), 'utf8');

/** Expectations parsed by the real loader, in a case that makes cg0 before its before snapshot. */
function expectations(items: string): Expectation[] {
  const text = `suite: s
title: t
cases:
  - id: c
    title: t
    steps:
      - cgroup: { name: cg0, controllers: [memory, hugetlb], procs: [helper] }
      - snapshot: before
      - target: { name: t0, kind: hugetlb }
    expect:
${items.trim().split('\n').map((line) => `      ${line}`).join('\n')}
`;
  const loaded = parseSuite(text, 'inline.yaml');
  if (!loaded.ok) throw new Error(loaded.problems.map((p) => `${p.line}:${p.column} ${p.message}`).join('\n'));
  return loaded.suite.cases[0]!.expectations;
}

const EXTRAS: SnapshotExtras = { cgroups: [{ name: 'cg0', controllers: ['memory', 'hugetlb'] }], files: ['/proc/sys/vm/nr_hugepages', '/proc/sys/vm/memory_failure_early_kill', '/sys/kernel/mm/transparent_hugepage/enabled', '/sys/missing'] };

/** A recorded snapshot with what a snapshot of cg0 and the files would add, in snapshotCommand's format. */
function snapshot(base: string, cgroup: string | null, files: string) {
  const group = cgroup === null ? '' : `cgroupdir:cg0\n${cgroup.trim().split('\n').map((line) => `/sys/fs/cgroup/cg0/${line.trim()}`).join('\n')}\n`;
  return parseSnapshot(`${base}\n${group}${files}`, [], EXTRAS);
}

const FILES_BEFORE = 'filedata:0:0\nfileend:0\nfiledata:1:0\nfileend:1\nfiledata:2:always [madvise] never\nfileend:2\nfilemissing:3\n';
const FILES_AFTER = 'filedata:0:4\nfileend:0\nfiledata:1:0\nfileend:1\nfiledata:2:always [madvise] never\nfileend:2\nfilemissing:3\n';

const CG0_BEFORE = `
  memory.current:0
  memory.max:67108864
  memory.stat:anon 0
  memory.stat:file 0
  memory.events:oom 0
  memory.events:max 0
  memory.events.local:oom 0
  hugetlb.2MB.current:0
  hugetlb.2MB.max:max
  hugetlb.2MB.numa_stat:total=0 N0=0
  hugetlb.2MB.events:max 0
  cgroup.events:populated 1
`;
const CG0_AFTER = `
  memory.current:262144
  memory.max:67108864
  memory.stat:anon 8192
  memory.stat:file 0
  memory.events:oom 0
  memory.events:max 0
  memory.events.local:oom 0
  hugetlb.2MB.current:2097152
  hugetlb.2MB.max:max
  hugetlb.2MB.numa_stat:total=2097152 N0=2097152
  hugetlb.2MB.events:max 0
  cgroup.events:populated 1
`;

describe('cgroup state paths against two snapshots', () => {
  const before = snapshot(recorded('before.txt'), CG0_BEFORE, FILES_BEFORE);
  const after = snapshot(recorded('after.txt'), CG0_AFTER, FILES_AFTER);
  const obs = testObservations({ before, after, stateDiff: diffSnapshots(before, after) });

  it('join the diff: only what changed, with deltas', () => {
    expect(obs.stateDiff?.cgroups).toEqual({
      cg0: {
        'memory.current': { before: '0', after: '262144', delta: 262144 },
        'memory.stat.anon': { before: '0', after: '8192', delta: 8192 },
        'hugetlb.2MB.current': { before: '0', after: '2097152', delta: 2097152 },
        'hugetlb.2MB.numa_stat.total': { before: '0', after: '2097152', delta: 2097152 },
        'hugetlb.2MB.numa_stat.total.N0': { before: '0', after: '2097152', delta: 2097152 },
      },
    });
    expect(obs.stateDiff?.files).toEqual({ '/proc/sys/vm/nr_hugepages': { before: '0', after: '4', delta: 4 } });
  });

  it('deltas, bounds, before/after values and text', () => {
    const items = expectations(`
- cgroup.cg0.hugetlb.2MB.current: +2097152
- cgroup.cg0.hugetlb.2MB.numa_stat.total.N0: +2097152
- cgroup.cg0.memory.stat.anon: at least 4096
- cgroup.cg0.memory.events.oom: 0
- cgroup.cg0.memory.events.local.oom: 0
- cgroup.cg0.hugetlb.2MB.current: { before: 0, after: 2097152 }
- cgroup.cg0.hugetlb.2MB.max: { after: max }
- cgroup.cg0.memory.max: { before: 67108864, delta: 0 }
- cgroup.cg0.cgroup.events.populated: { after: 1 }
`);
    for (const item of items) expect([item.text, evaluateExpectation(item, obs)]).toEqual([item.text, expect.objectContaining({ status: 'passed' })]);
  });

  it('say what the kernel did when they do not hold', () => {
    const [delta, bound, after, text, numberOfText] = expectations(`
- cgroup.cg0.hugetlb.2MB.current: -2097152
- cgroup.cg0.memory.stat.anon: at most 4096
- cgroup.cg0.hugetlb.2MB.current: { before: 0, after: 0 }
- cgroup.cg0.hugetlb.2MB.max: { after: '4194304' }
- cgroup.cg0.hugetlb.2MB.max: +1
`);
    expect(evaluateExpectation(delta!, obs)).toMatchObject({ status: 'failed', message: 'cgroup.cg0.hugetlb.2MB.current: expected a change by -2097152, it changed by +2097152 (0 → 2097152)', actual: { before: '0', after: '2097152', delta: 2097152 } });
    expect(evaluateExpectation(bound!, obs)).toMatchObject({ status: 'failed', message: 'cgroup.cg0.memory.stat.anon: expected a change by at most 4096, it changed by +8192 (0 → 8192)' });
    expect(evaluateExpectation(after!, obs)).toMatchObject({ status: 'failed', message: 'cgroup.cg0.hugetlb.2MB.current: expected 0 after, it read 2097152 (0 → 2097152)' });
    expect(evaluateExpectation(text!, obs)).toMatchObject({ status: 'failed', message: 'cgroup.cg0.hugetlb.2MB.max: expected 4194304 after, it read max (max → max)' });
    expect(evaluateExpectation(numberOfText!, obs)).toMatchObject({ status: 'failed', message: "cgroup.cg0.hugetlb.2MB.max: a delta needs numbers, it read 'max' → 'max' (max → max)" });
  });

  it('a file, key or group the kernel does not have is not available, never 0', () => {
    const [missingFile, missingKey] = expectations(`
- cgroup.cg0.memory.peak: +4096
- cgroup.cg0.memory.events.oom_group_kill: 0
`);
    expect(evaluateExpectation(missingFile!, obs)).toEqual({ status: 'not-available', message: 'cgroup.cg0.memory.peak: /sys/fs/cgroup/cg0/memory.peak does not exist on this kernel (or the memory controller is not enabled for cg0)' });
    expect(evaluateExpectation(missingKey!, obs)).toEqual({ status: 'not-available', message: "cgroup.cg0.memory.events.oom_group_kill: memory.events has no key 'oom_group_kill' on this kernel" });
    const noGroupBefore = snapshot(recorded('before.txt'), null, FILES_BEFORE);
    const late = testObservations({ before: noGroupBefore, after, stateDiff: diffSnapshots(noGroupBefore, after) });
    const [delta, afterOnly] = expectations(`
- cgroup.cg0.hugetlb.2MB.current: +2097152
- cgroup.cg0.hugetlb.2MB.current: { after: 2097152 }
`);
    expect(evaluateExpectation(delta!, late)).toEqual({ status: 'not-available', message: 'cgroup.cg0.hugetlb.2MB.current: cgroup cg0 did not exist at the before snapshot (take it after the cgroup step: snapshot: before)' });
    expect(evaluateExpectation(afterOnly!, late).status).toBe('passed');
    expect(late.stateDiff?.cgroups?.['cg0']?.['present']).toEqual({ before: null, after: 'present' });
  });
});

describe('file: state against two snapshots', () => {
  const before = snapshot(recorded('before.txt'), CG0_BEFORE, FILES_BEFORE);
  const after = snapshot(recorded('after.txt'), CG0_AFTER, FILES_AFTER);
  const obs = testObservations({ before, after, stateDiff: diffSnapshots(before, after) });

  it('equals, matches, before and delta', () => {
    const items = expectations(`
- file: /proc/sys/vm/nr_hugepages
  equals: '4'
- file: /proc/sys/vm/nr_hugepages
  equals: 4
  before: '0'
  delta: +4
- file: /proc/sys/vm/memory_failure_early_kill
  equals: '0'
- file: /sys/kernel/mm/transparent_hugepage/enabled
  matches: '\\[madvise\\]'
`);
    for (const item of items) expect([item.text, evaluateExpectation(item, obs)]).toEqual([item.text, expect.objectContaining({ status: 'passed' })]);
  });

  it('mismatches quote the text; a missing file is not available', () => {
    const [equals, delta, matches, missing, text] = expectations(`
- file: /proc/sys/vm/nr_hugepages
  equals: '8'
- file: /proc/sys/vm/nr_hugepages
  delta: +1
- file: /sys/kernel/mm/transparent_hugepage/enabled
  matches: '\\[always\\]'
- file: /sys/missing
  equals: x
- file: /sys/kernel/mm/transparent_hugepage/enabled
  delta: 0
`);
    expect(evaluateExpectation(equals!, obs)).toMatchObject({ status: 'failed', message: '/proc/sys/vm/nr_hugepages: expected "8" after, it read "4"', expected: { equals: '8' }, actual: { before: '0', after: '4' } });
    expect(evaluateExpectation(delta!, obs)).toMatchObject({ status: 'failed', message: '/proc/sys/vm/nr_hugepages: expected a change by +1, it changed by +4' });
    expect(evaluateExpectation(matches!, obs)).toMatchObject({ status: 'failed', message: '/sys/kernel/mm/transparent_hugepage/enabled: expected the text after to match /\\[always\\]/, it read "always [madvise] never"' });
    expect(evaluateExpectation(missing!, obs)).toEqual({ status: 'not-available', message: '/sys/missing does not exist after the case' });
    expect(evaluateExpectation(text!, obs)).toMatchObject({ status: 'failed', message: expect.stringMatching(/a delta needs a whole number in the file/) });
  });
});
