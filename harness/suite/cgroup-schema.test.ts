import { describe, expect, it } from 'vitest';
import { parseSuite } from './load-suite.ts';
import { formatProblem } from './problems.ts';
import { fileStateProblem } from './state-expectation.ts';
import { STEP_KIND_NAMES } from './step-schema.ts';

/** `program` steps come with harness/suite/program-schema.ts: the tests that start one wait for it. */
const noPrograms = !(STEP_KIND_NAMES as readonly string[]).includes('program');

const suite = (steps: string, expect = '') => `suite: s
title: t
cases:
  - id: c
    title: t
    steps:
${steps.trim().split('\n').map((line) => `      ${line}`).join('\n')}
${expect ? `    expect:\n${expect.trim().split('\n').map((line) => `      ${line}`).join('\n')}\n` : ''}`;

function load(text: string) {
  const result = parseSuite(text, 's.yaml');
  if (!result.ok) throw new Error(result.problems.map(formatProblem).join('\n'));
  return result.suite.cases[0]!;
}

function problems(text: string): string[] {
  const result = parseSuite(text, 's.yaml');
  if (result.ok) throw new Error('expected problems, the suite loaded');
  return result.problems.map((problem) => `${problem.line}:${problem.column}: ${problem.message}`);
}

describe('the cgroup step', () => {
  it('parses to its action, expects ok: true, and implies the controllers\' config', () => {
    const testCase = load(suite('- cgroup: { name: cg0, controllers: [memory, hugetlb, memory], procs: [helper], set: { memory.max: 64M, memory.oom.group: 1 } }'));
    expect(testCase.steps[0]!.action).toEqual({ kind: 'cgroup', name: 'cg0', controllers: ['memory', 'hugetlb'], procs: [{ kind: 'helper' }], set: [{ file: 'memory.max', value: '64M' }, { file: 'memory.oom.group', value: '1' }] });
    expect(testCase.steps[0]!.expect).toEqual([{ ok: true, when: null, xfail: null }]);
    const implied = testCase.requirements.filter((requirement) => requirement.kind === 'config').map((requirement) => requirement.kind === 'config' && requirement.option);
    expect(implied).toEqual(expect.arrayContaining(['CONFIG_CGROUPS', 'CONFIG_MEMCG', 'CONFIG_CGROUP_HUGETLB']));
  });

  it.skipIf(noPrograms)('takes a nested name, a program by $NAME, and expect: { errno }', () => {
    const testCase = load(suite(`
- program: { path: programs/hold.c, name: p1, background: true }
- cgroup: { name: outer/inner, controllers: [memory], procs: [$p1, $helper] }
  expect: { ok: false, errno: EBUSY }`));
    expect(testCase.steps[1]!.action).toMatchObject({ name: 'outer/inner', procs: [{ kind: 'program', name: 'p1' }, { kind: 'helper' }] });
    expect(testCase.steps[1]!.expect).toEqual([{ ok: false, errno: 'EBUSY', when: null, xfail: null }]);
  });

  it('refuses what it cannot do, at the value', () => {
    const text = suite('- cgroup: { name: Cg0, controllers: [memroy], procs: [helpr], set: { cgroup.procs: 1, memory.max: "64M; reboot" } }');
    expect(problems(text)).toEqual([
      "7:25: cases[0].steps[0].cgroup.name: 'Cg0': expected a cgroup name: a lowercase letter, then letters, digits, _ or -, up to 32 (cg0); nested groups joined with / (outer/inner)",
      "7:44: cases[0].steps[0].cgroup.controllers[0]: expected one of memory, hugetlb, pids, cpuset, got 'memroy'; did you mean 'memory'?",
      "7:61: cases[0].steps[0].cgroup.procs[0]: expected helper (the guest helper process) or $NAME (a background program step's process), got 'helpr'; did you mean 'helper'?",
      "7:76: cases[0].steps[0].cgroup.set.cgroup.procs: 'cgroup.procs' is not a valid key here: cgroup.procs is the step's own: say it with procs:",
      '7:105: cases[0].steps[0].cgroup.set.memory.max: a value of letters, digits, spaces and _ . : + = / - (64M, max, 0-1)',
    ]);
  });

  it.skipIf(noPrograms)('wants the controller of a setting, processes in leaves only, and a running program', () => {
    const text = suite(`
- program: { path: programs/once.c, name: p1 }
- cgroup: { name: cg0, procs: [helper], set: { hugetlb.2MB.max: 4M } }
- cgroup: { name: cg0/leaf, controllers: [hugetlb], procs: [$p1, $p2] }`);
    expect(problems(text)).toEqual([
      '8:38: cases[0].steps[1].cgroup.procs[0]: cg0 has a child group cg0/leaf: cgroup v2 lets processes join only a leaf, and a group with processes cannot enable controllers for its children; move them into cg0/leaf (or another child)',
      '8:54: cases[0].steps[1].cgroup.set.hugetlb.2MB.max: hugetlb.2MB.max needs the hugetlb controller in cg0: add hugetlb to controllers (of this step or an earlier one on cg0)',
      '9:67: cases[0].steps[2].cgroup.procs[0]: program p1 has ended by the time this step runs: start it with background: true to move it into cg0/leaf',
      "9:72: cases[0].steps[2].cgroup.procs[1]: no program step named p2 before this step; did you mean 'p1'?",
    ]);
  });
});

describe('cgroup state paths', () => {
  const steps = `
- cgroup: { name: cg0, controllers: [memory], procs: [helper] }
- snapshot: before
- target: { name: t0, kind: anon }`;

  it('parse to the group, the file and its key', () => {
    const testCase = load(suite(steps, `
- cgroup.cg0.memory.stat.anon: at least 4096
- cgroup.cg0.memory.max: { before: max, after: 67108864 }
- cgroup.cg0.memory.numa_stat.anon.N0: { delta: +4096 }`));
    expect(testCase.expectations.map((expectation) => expectation.check)).toEqual([
      { kind: 'state', path: 'cgroup.cg0.memory.stat.anon', state: { section: 'cgroup', group: 'cg0', file: 'memory.stat', key: 'anon', controller: 'memory', delta: { op: 'ge', value: 4096 }, before: null, after: null } },
      { kind: 'state', path: 'cgroup.cg0.memory.max', state: { section: 'cgroup', group: 'cg0', file: 'memory.max', key: '', controller: 'memory', delta: null, before: { kind: 'text', text: 'max' }, after: { kind: 'number', matcher: { op: 'eq', value: 67108864 } } } },
      { kind: 'state', path: 'cgroup.cg0.memory.numa_stat.anon.N0', state: { section: 'cgroup', group: 'cg0', file: 'memory.numa_stat', key: 'anon.N0', controller: 'memory', delta: { op: 'eq', value: 4096 }, before: null, after: null } },
    ]);
  });

  it('name a group the case makes, with the controller, made before the before snapshot', () => {
    expect(problems(suite(steps, `
- cgroup.cg1.memory.current: +4096
- cgroup.cg0.hugetlb.2MB.current: +2097152
- cgroup.cg0.memory.stats.anon: 1`))).toEqual([
      expect.stringMatching(/^13:9: cases\[0\]\.expect\[2\]\.cgroup\.cg0\.memory\.stats\.anon: no cgroup file 'memory\.stats\.anon' the state oracle knows \(memory\.\{current,.*\}.*\); read any other with file: \/sys\/fs\/cgroup\/GROUP\/NAME$/),
    ]);
    expect(problems(suite(steps, `
- cgroup.cg1.memory.current: +4096
- cgroup.cg0.hugetlb.2MB.current: +2097152`))).toEqual([
      "11:9: cases[0].expect[0].cgroup.cg1.memory.current: no cgroup 'cg1' in this case; did you mean 'cg0'?",
      '12:9: cases[0].expect[1].cgroup.cg0.hugetlb.2MB.current: hugetlb.2MB.current needs the hugetlb controller in cg0: add hugetlb to its cgroup step\'s controllers',
    ]);
    const late = suite(`
- target: { name: t0, kind: anon }
- cgroup: { name: cg0, controllers: [memory], procs: [helper] }`, `
- cgroup.cg0.memory.current: +4096
- cgroup.cg0.memory.current: { after: at least 4096 }`);
    expect(problems(late)).toEqual([
      "10:9: cases[0].expect[0].cgroup.cg0.memory.current: cg0 is made by step 2, after the before snapshot (taken at the case's start (it has no inject and no snapshot step)), so it has no before value: put - snapshot: before after the cgroup step, or check the value after alone ({ after: ... })",
    ]);
  });
});

describe('file: expectations', () => {
  it('parse, with the modifiers state paths take', () => {
    const testCase = load(suite('- target: { name: t0, kind: anon }', `
- file: /proc/sys/vm/nr_hugepages
  equals: 4
  delta: +4
  ifAvailable: true
- file: /sys/kernel/mm/transparent_hugepage/enabled
  matches: '\\[madvise\\]'
  when: { kernel: '>=6.1' }`));
    expect(testCase.expectations[0]).toMatchObject({ check: { kind: 'state', path: 'file /proc/sys/vm/nr_hugepages', state: { section: 'file', file: '/proc/sys/vm/nr_hugepages', equals: '4', matches: null, delta: { op: 'eq', value: 4 }, before: null } }, ifAvailable: true });
    expect(testCase.expectations[1]).toMatchObject({ check: { state: { matches: '\\[madvise\\]' } }, when: [expect.objectContaining({ kind: 'kernel' })] });
  });

  it('only absolute /proc and /sys paths, without dot segments, globs or files that block', () => {
    expect(fileStateProblem('/proc/sys/vm/nr_hugepages')).toBeNull();
    expect(fileStateProblem('/sys/bus/pci/devices/0000:00:02.0/numa_node')).toBeNull();
    expect(fileStateProblem('proc/meminfo')).toMatch(/absolute path/);
    expect(fileStateProblem('/etc/passwd')).toMatch(/only files under \/proc and \/sys/);
    expect(fileStateProblem('/proc/../etc/passwd')).toMatch(/'\.\.'/);
    expect(fileStateProblem('/sys/devices//x')).toMatch(/'\/\/'/);
    expect(fileStateProblem('/sys/devices/system/node/node*/meminfo')).toMatch(/no spaces, quotes or globs/);
    expect(fileStateProblem('/proc/kmsg')).toMatch(/blocks or consumes/);
    expect(fileStateProblem('/sys/kernel/tracing/trace_pipe')).toMatch(/blocks or consumes/);
  });

  it('say what is wrong, at the key', () => {
    const text = suite('- target: { name: t0, kind: anon }', `
- file: /tmp/x
  equal: '4'
- file: /proc/meminfo`);
    expect(problems(text)).toEqual([
      "9:15: cases[0].expect[0].file: only files under /proc and /sys are read as state, got '/tmp/x' (check other files with a shell step)",
      "10:9: cases[0].expect[0].equal: unknown key 'equal'; did you mean 'equals'?",
      "11:15: cases[0].expect[1].file: say what to check: equals: '4', matches: REGEX, before: '0' and/or delta: +1",
    ]);
  });
});
