import { describe, expect, it } from 'vitest';
import type { PreparedTarget } from '../inject/targets.ts';
import { parseSuite } from '../suite/load-suite.ts';
import { stepReferences } from '../suite/case-references.ts';
import { formatProblem } from '../suite/problems.ts';
import { evaluateTargetExpectation } from './expectations/process-expectation.ts';
import type { CaseObservations } from './expectations/evaluate.ts';
import { pfnNow, recordPfnsAfterStep, RefUnavailableError, substituteRefs } from './case-refs.ts';
import { refValuesOf, type CaseContext } from './case-context.ts';
import { pageHit } from './steps/inject-steps.ts';

/** A helper whose mapping of `t0` shows `pfn` (null: not present), counting its pagemap reads. */
function fakeHelper(state: { pfn: string | null; reads: number }) {
  return {
    pid: 77,
    async pages(name: string) {
      state.reads += 1;
      return { name, kind: 'anon', vaddr: '0x7f0000000000', length: 4096, pageSize: 4096, pages: [{ index: 0, vaddr: '0x7f0000000000', pfn: state.pfn, flags: null, names: [] }] };
    },
  };
}

function context(state: { pfn: string | null; reads: number }) {
  const helper = fakeHelper(state);
  const owned: PreparedTarget = { page: { kind: 'anon', pfn: 0x1000n, owner: { helper: helper as never, name: 't0', index: 0, vaddr: 0x7f0000000000n } }, helperTarget: null, fillSeed: 0 };
  const free: PreparedTarget = { page: { kind: 'free', pfn: 0x10000n }, helperTarget: null, fillSeed: null };
  return {
    guest: { exec: async () => ({ stdout: '8000000\n', stderr: '', exitCode: 0 }) } as never,
    targets: new Map([['t0', owned], ['f0', free]]),
    helper: helper as never,
    programs: new Map([['p1', { pid: 4242, comm: 'p1' } as never]]),
    pfnAfterStep: new Map<string, bigint>(),
    blockSizeBytes: undefined as bigint | undefined,
  } satisfies Partial<CaseContext>;
}

const refs = (command: string) => stepReferences({ action: { kind: 'shell', command } });

describe('substituteRefs', () => {
  it('puts in PFNs and addresses in hex, pids in decimal, the block by name, the page mapped now', async () => {
    const state = { pfn: '0x2345', reads: 0 };
    const ctx = context(state);
    ctx.pfnAfterStep.set('t0@first', 0x3456n);
    const command = 'echo $t0.pfn $t0.phys $t0.vaddr $t0.now $t0@first $f0.block $helper.pid $p1.pid $p1.comm $keep \\$t0.pfn';
    expect(await substituteRefs(ctx, command, refs(command))).toBe('echo 0x1000 0x1000000 0x7f0000000000 0x2345 0x3456 memory2 77 4242 p1 $keep \\$t0.pfn');
    expect(state.reads).toBe(1);
    expect(ctx.blockSizeBytes).toBe(0x8000000n);
  });

  it('asks the helper for $t0.now each time it is used, and says why a value is missing', async () => {
    const state = { pfn: null as string | null, reads: 0 };
    const ctx = context(state);
    await expect(substituteRefs(ctx, 'echo $t0.now', refs('echo $t0.now'))).rejects.toThrow(new RefUnavailableError('$t0.now ($t0.now): t0 has no page mapped now (pagemap shows none: the page was poisoned and unmapped, or released)'));
    await expect(substituteRefs(ctx, 'echo $t0@skipped', refs('echo $t0@skipped'))).rejects.toThrow(/no PFN was read after step 'skipped' \(it did not run on this kernel/);
    state.pfn = '0x99';
    expect(await substituteRefs(ctx, 'echo $t0.now', refs('echo $t0.now'))).toBe('echo 0x99');
    expect(state.reads).toBe(2);
  });
});

describe('recordPfnsAfterStep', () => {
  const yaml = [
    'suite: s',
    'title: t',
    'cases:',
    '  - id: c',
    '    title: t',
    '    steps:',
    '      - target: { name: t0, kind: anon }',
    '      - inject: { method: madvise-soft-offline, target: t0 }',
    '        id: first',
    '      - sleep: 1s',
    '        id: other',
    "      - shell: 'echo $t0@first'",
    '    expect:',
    '      - target: t0',
    '        pfn: moved',
    '        since: first',
    '',
  ].join('\n');
  const loaded = parseSuite(yaml, 's.yaml');
  if (!loaded.ok) throw new Error(loaded.problems.map(formatProblem).join('\n'));
  const testCase = loaded.suite.cases[0]!;

  it('reads the PFNs the case names after a step, and only those', async () => {
    const state = { pfn: '0x5000', reads: 0 };
    const ctx = { ...context(state), testCase };
    await recordPfnsAfterStep(ctx, testCase.steps[2]!);
    expect(state.reads).toBe(0);
    await recordPfnsAfterStep(ctx, testCase.steps[1]!);
    expect([...ctx.pfnAfterStep]).toEqual([['t0@first', 0x5000n]]);
    expect(state.reads).toBe(1);

    // And `since: first` compares the PFN at the end with that one.
    const after = (pfnAfter: bigint): CaseObservations => ({ targets: new Map([['t0', { pfnBefore: 0x1000n, pfnAfter, intact: true }]]), refs: refValuesOf(ctx) }) as unknown as CaseObservations;
    const check = testCase.expectations[0]!.check as Extract<(typeof testCase.expectations)[number]['check'], { kind: 'target' }>;
    expect(evaluateTargetExpectation(check, after(0x6000n)).status).toBe('passed');
    const same = evaluateTargetExpectation(check, after(0x5000n));
    expect(same.status === 'failed' && same.message).toBe('target t0: expected its PFN to move since step first, it stayed (0x5000 → 0x5000)');
  });
});

describe('the page an injection hits', () => {
  it('is the one mapped now for madvise, the prepared one for the others', async () => {
    const state = { pfn: '0x7000' as string | null, reads: 0 };
    const ctx = context(state) as unknown as CaseContext;
    expect((await pageHit(ctx, 'madvise-soft-offline', 't0')).pfn).toBe(0x7000n);
    expect((await pageHit(ctx, 'madvise-hwpoison', 't0')).pfn).toBe(0x7000n);
    expect((await pageHit(ctx, 'sysfs-soft-offline', 't0')).pfn).toBe(0x1000n);
    expect((await pageHit(ctx, 'debugfs', 't0')).pfn).toBe(0x1000n);
    state.pfn = null;
    expect((await pageHit(ctx, 'madvise-hwpoison', 't0')).pfn).toBe(0x1000n);
    expect(await pfnNow(ctx, 'f0')).toBe(0x10000n);
  });
});
