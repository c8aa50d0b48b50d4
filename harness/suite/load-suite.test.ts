import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../util/paths.ts';
import { parseSuite, type SuiteLoad } from './load-suite.ts';
import { loadSuites } from './load-suites.ts';
import { formatProblem } from './problems.ts';
import { kernelFacts } from './kernel-facts.ts';
import { conditionHolds } from './requirements.ts';
import type { LoadedSuite } from './suite-case.ts';

function loaded(result: SuiteLoad): LoadedSuite {
  if (!result.ok) throw new Error(`expected the suite to load:\n${result.problems.map(formatProblem).join('\n')}`);
  return result.suite;
}

const MATRIX = `
suite: demo
title: Demo
tags: [hwpoison]
reference: mm/memory-failure.c
timeout: 2m
requires:
  kernel: '>=6.1'
guest:
  memoryMiB: 1024
  modules: [hwpoison_inject]
cases:
  - id: poison-\${target}-\${method}
    title: \${target} via \${method}
    tags: [matrix]
    parameters:
      target: [free, anon]
      method: [debugfs, madvise-hwpoison, mce-srao]
    exclude:
      - { target: free, method: madvise-hwpoison, reason: no owner }
    steps:
      - target: { name: t0, kind: '\${target}' }
      - inject: { method: '\${method}', target: t0 }
        id: poison
      - wait: { event: memory-failure, pfn: $t0 }
        timeout: 10s
    expect:
      - event: memory-failure
        pfn: $t0
        result: Recovered
        count: 1
      - meminfo.HardwareCorrupted: +4
      - memoryFailure.all.total: +1
        ifAvailable: true
      - pages.$t0: { set: [hwpoison], cleared: [buddy] }
  - id: shell-and-sysctl
    title: Shell and sysctl steps get their default outcomes
    guest: { memoryMiB: 4096 }
    xfail: { reason: not fixed yet, reference: 'mm: fix it', when: { kernel: '<6.12' } }
    steps:
      - sysctl: { vm.memory_failure_early_kill: 1 }
      - shell: echo $\${HOME}
      - shell: 'false'
        expect: { exit: 1 }
`;

describe('parseSuite: a valid suite', () => {
  const suite = loaded(parseSuite(MATRIX, 'suites/demo.yaml'));

  it('expands the matrix in the order written, without the excluded combination', () => {
    expect(suite.cases.map((c) => c.id)).toEqual([
      'poison-free-debugfs',
      'poison-free-mce-srao',
      'poison-anon-debugfs',
      'poison-anon-madvise-hwpoison',
      'poison-anon-mce-srao',
      'shell-and-sysctl',
    ]);
    expect(suite.templates).toBe(2);
    expect(suite.excluded).toBe(1);
  });

  it('substitutes parameters into every value and keeps the result typed', () => {
    const c = suite.cases.find((x) => x.id === 'poison-anon-mce-srao')!;
    expect(c.key).toBe('demo/poison-anon-mce-srao');
    expect(c.templateId).toBe('poison-${target}-${method}');
    expect(c.title).toBe('anon via mce-srao');
    expect(c.parameters).toEqual({ target: 'anon', method: 'mce-srao' });
    expect(c.steps.map((s) => s.action)).toEqual([
      { kind: 'target', name: 't0', targetKind: 'anon' },
      { kind: 'inject', method: 'mce-srao', target: 't0' },
      { kind: 'wait', event: { type: 'memory-failure', fields: { pfn: { kind: 'ref', ref: { kind: 'target', target: 't0', property: 'pfn' } } } } },
    ]);
    expect(c.steps[1]!.id).toBe('poison');
    expect(c.steps[2]!.timeoutMs).toBe(10_000);
    expect(c.targets).toEqual({ t0: 'anon' });
  });

  it('types the expectations', () => {
    const c = suite.cases[0]!;
    expect(c.expectations.map((e) => e.check)).toEqual([
      {
        kind: 'event',
        event: { type: 'memory-failure', fields: { pfn: { kind: 'ref', ref: { kind: 'target', target: 't0', property: 'pfn' } }, result: { kind: 'equals', value: 'Recovered' } } },
        count: { op: 'eq', value: 1 },
      },
      { kind: 'state', path: 'meminfo.HardwareCorrupted', state: { section: 'meminfo', field: 'HardwareCorrupted', delta: { op: 'eq', value: 4 } } },
      { kind: 'state', path: 'memoryFailure.all.total', state: { section: 'memoryFailure', node: 'all', counter: 'total', delta: { op: 'eq', value: 1 } } },
      { kind: 'state', path: 'pages.$t0', state: { section: 'pages', page: { kind: 'target', target: 't0' }, set: ['hwpoison'], cleared: ['buddy'], has: [], lacks: [] } },
    ]);
    expect(c.expectations.map((e) => e.ifAvailable)).toEqual([false, false, true, false]);
    expect(c.expectations[1]!.text).toBe('meminfo.HardwareCorrupted: +4');
  });

  it('records where each case, step and expectation is written', () => {
    const c = suite.cases[0]!;
    expect(c.location).toEqual({ file: 'suites/demo.yaml', line: 13, column: 9 });
    expect(c.steps[1]!.location).toMatchObject({ line: 23, column: 9 });
    expect(c.expectations[1]!.location).toMatchObject({ line: 32, column: 9 });
  });

  it('merges suite defaults: guest, tags, reference, timeout, requirements', () => {
    const [matrix, shell] = [suite.cases[0]!, suite.cases[5]!];
    expect(matrix.guest.memoryMiB).toBe(1024);
    expect(matrix.guest.modules).toEqual(['hwpoison_inject']);
    expect(shell.guest.memoryMiB).toBe(4096);
    expect(shell.guest.modules).toEqual(['hwpoison_inject']);
    expect(matrix.tags).toEqual(['hwpoison', 'matrix']);
    expect(matrix.reference).toEqual(['mm/memory-failure.c']);
    expect(matrix.timeoutMs).toBe(120_000);
    expect(matrix.requirements.map((r) => [r.kind, r.because, r.implied])).toEqual([
      ['kernel', 'suite requires', false],
      ['module', 'guest.modules', false],
      ['config', 'inject method debugfs', true],
      ['config', 'inject method debugfs', true],
      ['config', 'inject method debugfs', true],
    ]);
  });

  it('allows the M taint only where a machine check is injected', () => {
    expect(suite.cases.find((c) => c.id === 'poison-anon-mce-srao')!.implicit).toEqual({ allowCrash: false, allowedNewTaint: [expect.objectContaining({ letter: 'M', bit: 4 })], allowedReports: [] });
    expect(suite.cases.find((c) => c.id === 'poison-anon-debugfs')!.implicit.allowedNewTaint).toEqual([]);
  });

  it('fills default step outcomes and keeps $${ as a literal ${', () => {
    const shell = suite.cases[5]!;
    expect(shell.steps.map((s) => [s.action, s.expect.map(({ when, xfail, ...rest }) => rest)])).toEqual([
      [{ kind: 'sysctl', settings: [{ key: 'vm.memory_failure_early_kill', value: '1' }] }, [{ ok: true }]],
      [{ kind: 'shell', command: 'echo ${HOME}' }, [{ exit: 0 }]],
      [{ kind: 'shell', command: 'false' }, [{ exit: 1 }]],
    ]);
    expect(shell.xfail).toMatchObject({ reason: 'not fixed yet', reference: 'mm: fix it', when: [{ kind: 'kernel' }] });
  });
});

describe('parseSuite: when: { parameters } in a matrix', () => {
  const text = `
suite: demo
title: Demo
cases:
  - id: poison-\${target}-\${method}
    title: \${target} via \${method}
    parameters:
      target: [free, anon]
      method: [debugfs, mce-srao]
    steps:
      - target: { name: t0, kind: '\${target}' }
      - inject: { method: '\${method}', target: t0 }
      - access: t0
        when: { parameters: { target: anon } }
    expect:
      - event: mce-logged
        when: { kernel: '>=6.1', parameters: { method: mce-srao } }
`;

  it('is decided per expansion: it holds, or it never applies', () => {
    const suite = loaded(parseSuite(text, 'demo.yaml'));
    const facts = kernelFacts({ release: '6.12.117+deb12-amd64', upstreamVersion: '6.12.117' });
    const applies = Object.fromEntries(
      suite.cases.map((c) => [c.id, [conditionHolds(c.steps[2]!.when, facts), conditionHolds(c.expectations[0]!.when, facts)]]),
    );
    expect(applies).toEqual({
      'poison-free-debugfs': [false, false],
      'poison-anon-debugfs': [true, false],
      'poison-free-mce-srao': [false, true],
      'poison-anon-mce-srao': [true, true],
    });
    expect(suite.cases[0]!.steps[2]!.when).toEqual([{ kind: 'parameters', holds: false, text: 'target=anon', because: 'when', implied: false }]);
  });

  it('is refused in requires: (exclude: leaves combinations out)', () => {
    const result = parseSuite(text.replace("    steps:\n", "    requires: { parameters: { target: anon } }\n    steps:\n"), 'demo.yaml');
    expect(result.ok).toBe(false);
    expect(result.problems.map(formatProblem)[0]).toMatch(/cases\[0\]\.requires\.parameters: unknown key 'parameters'/);
  });
});

describe('the default suites in suites/ and the runner fixtures', () => {
  it('all load without problems, each default suite with cases', async () => {
    const { suites, problems } = await loadSuites([path.join(projectRoot, 'suites'), path.join(projectRoot, 'harness/runner/fixtures')]);
    expect(problems.map(formatProblem)).toEqual([]);
    const byId = Object.fromEntries(suites.map((s) => [s.info.id, s.cases.map((c) => c.id)]));
    for (const id of ['hwpoison', 'soft-offline', 'memory-blocks', 'hotplug', 'virtio-mem', 'pmem', 'numa']) expect(byId[id]?.length, id).toBeGreaterThan(0);
    expect(byId['hwpoison-basic']).toEqual(['poison-free-debugfs', 'poison-anon-debugfs', 'poison-anon-madvise-hwpoison', 'anon-madvise-sigbus', 'mce-srao-anon']);
    expect(byId['soft-offline-basic']).toEqual(['madvise-anon', 'sysfs-free-page', 'disabled-by-sysctl']);
  });

  it('say which SIGBUS each kernel series gives for madvise(MADV_HWPOISON)', async () => {
    const { suites } = await loadSuites([path.join(projectRoot, 'harness/runner/fixtures/hwpoison-basic.yaml')]);
    const c = suites[0]!.cases.find((x) => x.id === 'anon-madvise-sigbus')!;
    const inject = c.steps.find((s) => s.action.kind === 'inject')!;
    expect(inject.expect.map((o) => [o.when?.[0]?.kind === 'kernel' ? o.when[0].range.text : null, o.sigbus])).toEqual([
      ['>=6.12', { code: 'BUS_MCEERR_AR', addr: { kind: 'ref', ref: { kind: 'target', target: 't0', property: 'vaddr' } }, lsb: 12, async: null }],
      ['<6.12', 'none'],
    ]);
  });
});

describe('the complete example in suites/README.md', () => {
  it('loads, so the documentation cannot drift from the format', () => {
    const readme = readFileSync(path.join(projectRoot, 'suites', 'README.md'), 'utf8');
    const example = /## A complete example[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toBeDefined();
    const suite = loaded(parseSuite(example!, 'README.md'));
    expect(suite.cases.map((c) => c.id)).toHaveLength(9);
    expect(suite.cases.at(-1)!.xfail).toMatchObject({ reason: 'not signalled on this kernel', when: [{ kind: 'kernel' }] });
  });
});
