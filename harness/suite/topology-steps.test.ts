import { describe, expect, it } from 'vitest';
import { checkStepOutcome } from '../runner/step-outcome.ts';
import { kernelFacts } from './kernel-facts.ts';
import { parseSuite, type SuiteLoad } from './load-suite.ts';
import { formatProblem } from './problems.ts';
import type { LoadedSuite } from './suite-case.ts';

function loaded(result: SuiteLoad): LoadedSuite {
  if (!result.ok) throw new Error(`expected the suite to load:\n${result.problems.map(formatProblem).join('\n')}`);
  return result.suite;
}

function problems(result: SuiteLoad): string[] {
  return result.ok ? [] : result.problems.map((problem) => `${problem.line}: ${problem.message}`);
}

const GUEST = `
guest:
  memoryMiB: 2048
  numa:
    - { cpus: [0], memoryMiB: 2048 }
    - { memoryMiB: 0 }
  hotplug: { slots: 2, maxMemoryMiB: 4096 }
  virtioMem: [{ id: vm0, maxSizeMiB: 512, requestedMiB: 256 }]
`;

function suite(steps: string, guest = GUEST): SuiteLoad {
  return parseSuite(`suite: topo
title: Topology steps
${guest}
cases:
  - id: c
    title: case
    steps:
${steps}`, 'inline/topo.yaml');
}

describe('topology steps in suites', () => {
  it('parses dimm, virtioMem, migrate, memoryBlock selections and target placements', () => {
    const result = loaded(
      suite(`      - dimm: { add: d1, sizeMiB: 256, node: 1 }
      - memoryBlock: { device: d1, state: online_movable }
      - memoryBlock: { node: 1, state: offline }
      - memoryBlock: { range: 0x100000000-0x10fffffff, state: offline }
      - target: { name: t0, kind: anon, node: 1 }
      - target: { name: t1, kind: free, device: vm0 }
      - migrate: { target: t0, node: 0 }
        expect: { ok: true, fromNode: 1, node: 0 }
      - virtioMem: { id: vm0, requestedMiB: 0, within: 20s }
        expect: { ok: false, pluggedMiB: 2, reason: stalled }
      - dimm: { remove: d1 }
        expect: { ok: false, reason: 'device busy' }
`),
    );
    const steps = result.cases[0]!.steps;
    expect(steps.map((step) => step.action)).toEqual([
      { kind: 'dimm', op: 'add', id: 'd1', sizeMiB: 256, node: 1, withinMs: 60_000 },
      { kind: 'memoryBlock', block: { kind: 'device', id: 'd1' }, state: 'online_movable' },
      { kind: 'memoryBlock', block: { kind: 'node', node: 1 }, state: 'offline' },
      { kind: 'memoryBlock', block: { kind: 'range', start: 0x100000000n, end: 0x10fffffffn }, state: 'offline' },
      { kind: 'target', name: 't0', targetKind: 'anon', placement: { node: 1 } },
      { kind: 'target', name: 't1', targetKind: 'free', placement: { device: 'vm0' } },
      { kind: 'migrate', target: 't0', node: 0 },
      { kind: 'virtioMem', id: 'vm0', requestedMiB: 0, withinMs: 20_000 },
      { kind: 'dimm', op: 'remove', id: 'd1', withinMs: 60_000 },
    ]);
    // dimm, virtioMem and migrate must succeed unless their expect says otherwise.
    expect(steps[0]!.expect).toEqual([{ ok: true, when: null, xfail: null }]);
    expect(steps[8]!.expect).toEqual([{ ok: false, reason: 'device busy', when: null, xfail: null }]);
    // What they need from the kernel, so a kernel without it skips the case with a reason.
    const implied = result.cases[0]!.requirements.filter((r) => r.implied).map((r) => (r.kind === 'config' ? r.option : r.kind));
    expect(implied).toEqual(expect.arrayContaining(['CONFIG_MEMORY_HOTPLUG', 'CONFIG_ACPI_HOTPLUG_MEMORY', 'CONFIG_MEMORY_HOTREMOVE', 'CONFIG_VIRTIO_MEM', 'CONFIG_NUMA', 'CONFIG_MIGRATION']));
  });

  it('keeps a plain target without a placement key', () => {
    const steps = loaded(suite('      - target: { name: t0, kind: anon }\n')).cases[0]!.steps;
    expect(steps[0]!.action).toEqual({ kind: 'target', name: 't0', targetKind: 'anon' });
  });

  it.each([
    ['      - dimm: { add: d1, remove: d1 }\n', 'either adds (add: ID, sizeMiB, node?) or removes'],
    ['      - dimm: { add: d1 }\n', 'adding a DIMM needs its size'],
    ['      - dimm: { remove: d9 }\n', "no memory device 'd9' at this point of the case"],
    ['      - dimm: { remove: vm0 }\n', "'vm0' is not a DIMM"],
    ['      - dimm: { add: d1, sizeMiB: 100 }\n', 'a multiple of 128'],
    ['      - dimm: { add: d1, sizeMiB: 256, node: 2 }\n', 'node 2 does not exist: the guest has 2 node(s)'],
    ['      - dimm: { add: vm0, sizeMiB: 128 }\n', "device id 'vm0' is already in use"],
    ['      - dimm: { add: d1, sizeMiB: 128 }\n      - dimm: { add: d2, sizeMiB: 128 }\n      - dimm: { add: d3, sizeMiB: 128 }\n', 'no free slot: 3 DIMM/NVDIMM devices but hotplug.slots is 2'],
    ['      - dimm: { add: d1, sizeMiB: 2048 }\n', 'exceed hotplug.maxMemoryMiB 4096'],
    ['      - virtioMem: { id: vm1, requestedMiB: 0 }\n', "the guest has no virtio-mem device 'vm1'"],
    ['      - virtioMem: { id: vm0, requestedMiB: 1024 }\n', 'above the device\'s maxSizeMiB 512'],
    ['      - virtioMem: { id: vm0, requestedMiB: 3 }\n', "multiple of the device's block size (2 MiB)"],
    ['      - memoryBlock: { node: 1, device: vm0, state: offline }\n', 'one of block, node, range, device; this step has node and device'],
    ['      - memoryBlock: { state: offline }\n', 'say which blocks'],
    ['      - memoryBlock: { range: 0x2000-0x1000, state: offline }\n', 'expected a physical address range START-END'],
    ['      - memoryBlock: { device: nv9, state: offline }\n', "no memory device 'nv9'"],
    ['      - target: { name: t0, kind: anon, device: vm0 }\n', "device: places pages nobody owns (free, slab); a 'anon' page is placed with node:"],
    ['      - target: { name: t0, kind: free-movable, node: 1 }\n', "'free-movable' picks its own block"],
    ['      - target: { name: t0, kind: free, node: 0, device: vm0 }\n', 'give node or device, not both'],
    ['      - target: { name: t0, kind: free }\n      - migrate: { target: t0, node: 1 }\n', 'migrate needs a page the helper maps'],
    ['      - migrate: { target: t0, node: 1 }\n', "no target 't0' in this case"],
  ])('refuses %j', (steps, message) => {
    expect(problems(suite(steps)).join('\n')).toContain(message);
  });

  it('needs hotplug capacity to add a DIMM', () => {
    expect(problems(suite('      - dimm: { add: d1, sizeMiB: 128 }\n', 'guest: { memoryMiB: 2048 }')).join('\n')).toContain('adding a DIMM needs hotplug capacity');
  });

  it('follows the DIMMs a case adds and removes', () => {
    // Removed, so the id is free again; a refused removal (ok: false) leaves it in.
    expect(problems(suite('      - dimm: { add: d1, sizeMiB: 128 }\n      - dimm: { remove: d1 }\n      - dimm: { add: d1, sizeMiB: 128 }\n'))).toEqual([]);
    expect(problems(suite('      - dimm: { add: d1, sizeMiB: 128 }\n      - dimm: { remove: d1 }\n        expect: { ok: false }\n      - dimm: { add: d1, sizeMiB: 128 }\n')).join('\n')).toContain("device id 'd1' is already in use");
  });
});

describe('topology step outcomes', () => {
  const facts = kernelFacts({ release: '6.12.117+deb12-amd64', upstreamVersion: '6.12.117' });
  const refs = { target: () => undefined, helper: { pid: 1, comm: 'x' } };
  const stepWith = (expectYaml: string) => loaded(suite(`      - virtioMem: { id: vm0, requestedMiB: 0 }\n        expect: ${expectYaml}\n`)).cases[0]!.steps[0]!;

  it('matches the reason and the plugged size', () => {
    const step = stepWith("{ ok: false, pluggedMiB: 2, reason: 'plugged 2 MiB' }");
    const stalled = { ok: false, reason: 'stalled: requested 0 MiB, plugged 2 MiB after 20 s (from 256 MiB)', pluggedMiB: 2, summary: 'stalled' };
    expect(checkStepOutcome(step, stalled, facts, refs).mismatches).toEqual([]);
    const converged = { ok: true, reason: '', pluggedMiB: 0, summary: 'done' };
    expect(checkStepOutcome(step, converged, facts, refs).mismatches.map((m) => m.message)).toEqual([
      'expected the step to fail, but done',
      'expected the reason to match /plugged 2 MiB/, got none (done)',
      'expected pluggedMiB 2, got 0 (done)',
    ]);
  });

  it('matches the nodes of a migration', () => {
    const step = loaded(suite('      - target: { name: t0, kind: anon }\n      - migrate: { target: t0, node: 1 }\n        expect: { fromNode: 0, node: 1 }\n')).cases[0]!.steps[1]!;
    expect(checkStepOutcome(step, { ok: true, node: 1, fromNode: 0, summary: 'moved' }, facts, refs).mismatches).toEqual([]);
    expect(checkStepOutcome(step, { ok: true, node: 1, fromNode: 1, summary: 'moved' }, facts, refs).mismatches.map((m) => m.message)).toEqual(['expected fromNode 0, got 1 (moved)']);
  });
});
