import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseCrashes } from '../../kernel-log/crash/parse-crashes.ts';
import { kernelEvents } from '../../kernel-log/events/parse-event.ts';
import { fact, FIXTURE_KERNELS, loadFixture } from '../../kernel-log/fixtures/load-fixture.ts';
import { KMSG_MARK_PREFIX } from '../../kernel-log/reader/kmsg-command.ts';
import { diffSnapshots } from '../../state/state-diff.ts';
import { parseSnapshot } from '../../state/state-snapshot.ts';
import { parseSuite, type Expectation, type ImplicitChecks } from '../../suite/index.ts';
import { TAINT_FLAGS } from '../../kernel-log/crash/taint.ts';
import { checkNoNewTaint } from '../implicit-checks.ts';
import { decideVerdict } from '../verdict.ts';
import { testObservations } from '../testing/observations.ts';
import { evaluateExpectation, type CaseObservations } from './evaluate.ts';

const STATE_FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'state', 'fixtures');

/** Expectations parsed by the real suite loader, so the evaluators see what a suite gives them. */
function expectations(items: string): Expectation[] {
  const text = `suite: evaluator-test
title: t
cases:
  - id: c
    title: t
    steps:
      - target: { name: t0, kind: anon }
      - inject: { method: debugfs, target: t0 }
    expect:
${items
  .trim()
  .split('\n')
  .map((line) => `      ${line}`)
  .join('\n')}
`;
  const loaded = parseSuite(text, 'inline.yaml');
  if (!loaded.ok) throw new Error(loaded.problems.map((p) => `${p.line}:${p.column} ${p.message}`).join('\n'));
  return loaded.suite.cases[0]!.expectations;
}

const observations = testObservations;

const caseEvents = (records: ReturnType<typeof loadFixture>['kmsg']) => kernelEvents(records.filter((r) => !r.text.startsWith(KMSG_MARK_PREFIX)));

describe.each(FIXTURE_KERNELS)('expectation evaluators on recordings from %s', (kernel) => {
  it('counts memory-failure events of a recorded free-page poisoning', () => {
    const fixture = loadFixture(kernel, 'hwpoison-free-page');
    const obs = observations({ events: caseEvents(fixture.kmsg), pfn: BigInt(fact(fixture, 'pfn')) });
    const [exact, wrongResult, none, noSoftOffline] = expectations(`
- event: memory-failure
  pfn: $t0
  result: Recovered
  count: 1
- event: memory-failure
  pfn: $t0
  result: Ignored
- event: memory-failure
  count: none
- event: soft-offline
  count: none
`);
    expect(evaluateExpectation(exact!, obs).status).toBe('passed');
    const failed = evaluateExpectation(wrongResult!, obs);
    expect(failed.status).toBe('failed');
    if (failed.status === 'failed') {
      expect(failed.message).toContain(`'memory-failure' with pfn=$t0.pfn=${fact(fixture, 'pfn')} result=Ignored`);
      expect(failed.message).toMatch(/events it did log: Memory failure: 0x[0-9a-f]+: recovery action for free buddy page: Recovered/);
    }
    const notNone = evaluateExpectation(none!, obs);
    expect(notNone.status).toBe('failed');
    if (notNone.status === 'failed') expect(notNone.message).toMatch(/^expected no kernel events 'memory-failure'; the kernel logged 1: /);
    expect(evaluateExpectation(noSoftOffline!, obs).status).toBe('passed');
  });

  it('finds the recorded sysrq crash by title', () => {
    const fixture = loadFixture(kernel, 'sysrq-crash');
    const obs = observations({ crashes: parseCrashes(fixture.console) });
    const [titled, other] = expectations(`
- crash: { title: 'sysrq triggered crash' }
- crash: { title: 'Oops' }
`);
    expect(evaluateExpectation(titled!, obs).status).toBe('passed');
    const failed = evaluateExpectation(other!, obs);
    expect(failed.status === 'failed' && failed.message).toMatch(/expected a crash titled \/Oops\/; the crashes were: kernel panic: sysrq triggered crash/);
  });

  it('checks state paths on a recorded before/after snapshot pair', () => {
    const dir = path.join(STATE_FIXTURES, kernel);
    const pfn = BigInt((JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8')) as { pfn: string }).pfn);
    const before = parseSnapshot(fs.readFileSync(path.join(dir, 'before.txt'), 'utf8'), [pfn]);
    const after = parseSnapshot(fs.readFileSync(path.join(dir, 'after.txt'), 'utf8'), [pfn]);
    const obs = observations({ before, after, stateDiff: diffSnapshots(before, after), pfn });
    const [corrupted, wrongDelta, total, pages, pagesWrong, taint, hugepages] = expectations(`
- meminfo.HardwareCorrupted: +4
- meminfo.HardwareCorrupted: +8
- memoryFailure.all.total: +1
  ifAvailable: true
- pages.$t0: { set: [hwpoison], lacks: [buddy] }
- pages.$t0: { cleared: [hwpoison] }
- tainted: { added: [M] }
- hugepages.all.2048kB.free: 0
`);
    expect(evaluateExpectation(corrupted!, obs).status).toBe('passed');
    const delta = evaluateExpectation(wrongDelta!, obs);
    expect(delta.status === 'failed' && delta.message).toBe('expected meminfo.HardwareCorrupted to change by +8 kB, it changed by +4 kB');
    // Per-node counters: 6.12 has them, 6.1 does not (never read as 0).
    expect(evaluateExpectation(total!, obs).status).toBe(kernel.startsWith('6.12') ? 'passed' : 'not-available');
    expect(evaluateExpectation(pages!, obs).status).toBe('passed');
    const flags = evaluateExpectation(pagesWrong!, obs);
    expect(flags.status === 'failed' && flags.message).toMatch(new RegExp(`^page 0x${pfn.toString(16)}: \\[hwpoison\\] not cleared; its flags went \\[.*\\] → \\[.*hwpoison.*\\]$`));
    const tainted = evaluateExpectation(taint!, obs);
    expect(tainted.status === 'failed' && tainted.message).toMatch(/^expected taint added \[M\]; taint went 0 → 0/);
    expect(evaluateExpectation(hugepages!, obs).status).toBe('passed');
  });

  it('reads a memory block\'s removable, valid_zones and state from the recorded snapshots', () => {
    const dir = path.join(STATE_FIXTURES, kernel);
    const before = parseSnapshot(fs.readFileSync(path.join(dir, 'before.txt'), 'utf8'), []);
    const after = parseSnapshot(fs.readFileSync(path.join(dir, 'after.txt'), 'utf8'), []);
    const obs = observations({ before, after, stateDiff: diffSnapshots(before, after), blockOfTarget: () => 'memory12' });
    const [removable, removableNumber, notRemovable, zones, state, absent] = expectations(`
- memoryBlocks.memory12.removable: '1'
- memoryBlocks.$t0.removable: 1
- memoryBlocks.memory15.removable: { before: '0' }
- memoryBlocks.memory12.validZones: DMA32
- memoryBlocks.memory12.state: { before: online, after: online }
- memoryBlocks.memory99.removable: '1'
`);
    expect(evaluateExpectation(removable!, obs).status).toBe('passed');
    expect(evaluateExpectation(removableNumber!, obs).status).toBe('passed');
    const wrong = evaluateExpectation(notRemovable!, obs);
    expect(wrong.status === 'failed' && wrong.message).toBe('expected memory15 removable 0 → (any), it was 1 → 1');
    expect(evaluateExpectation(zones!, obs).status).toBe('passed');
    expect(evaluateExpectation(state!, obs).status).toBe('passed');
    expect(evaluateExpectation(absent!, obs).status).toBe('not-available');
  });
});

describe('process outcome evaluators', () => {
  const vaddr = 0x7f0000001000n;
  const sigbus = { code: 4, codeName: 'BUS_MCEERR_AR', addr: '0x7f0000001000', lsb: 12, async: false, step: 1 };

  it('matches SIGBUS by code, address reference and count', () => {
    const [one, none, ao] = expectations(`
- sigbus: { code: BUS_MCEERR_AR, addr: $t0.vaddr, lsb: 12 }
  count: 1
- sigbus: none
- sigbus: { code: BUS_MCEERR_AO, async: true }
`);
    const obs = observations({ vaddr, sigbus: [sigbus] });
    expect(evaluateExpectation(one!, obs).status).toBe('passed');
    const noneOutcome = evaluateExpectation(none!, obs);
    expect(noneOutcome.status === 'failed' && noneOutcome.message).toBe('expected no SIGBUS; the helper got 1: BUS_MCEERR_AR at 0x7f0000001000 (lsb 12)');
    const aoOutcome = evaluateExpectation(ao!, obs);
    expect(aoOutcome.status === 'failed' && aoOutcome.message).toBe('expected at least 1 SIGBUS BUS_MCEERR_AO asynchronous; the helper got 1: BUS_MCEERR_AR at 0x7f0000001000 (lsb 12)');
    expect(evaluateExpectation(one!, observations({ vaddr: vaddr + 0x1000n, sigbus: [sigbus] })).status).toBe('failed');
  });

  it('tells how the helper ended', () => {
    const [alive, byBus] = expectations(`
- helper: alive
- helper: killed-by-sigbus
`);
    expect(evaluateExpectation(alive!, observations({})).status).toBe('passed');
    const killed = observations({ helperEnd: { exitCode: null, signal: 'BUS', stderr: '' } });
    const aliveOutcome = evaluateExpectation(alive!, killed);
    expect(aliveOutcome.status === 'failed' && aliveOutcome.message).toBe('expected the helper to be alive, it was killed-by-sigbus');
    expect(evaluateExpectation(byBus!, killed).status).toBe('passed');
  });

  it('checks a target for data and PFN', () => {
    const [moved] = expectations(`
- target: t0
  data: intact
  pfn: moved
`);
    expect(evaluateExpectation(moved!, observations({ targets: new Map([['t0', { pfnBefore: 0x10n, pfnAfter: 0x20n, intact: true }]]) })).status).toBe('passed');
    const same = evaluateExpectation(moved!, observations({ targets: new Map([['t0', { pfnBefore: 0x10n, pfnAfter: 0x10n, intact: false }]]) }));
    expect(same.status === 'failed' && same.message).toBe('target t0: expected its data intact, it was corrupt; expected its PFN to move, it stayed (0x10 → 0x10)');
  });
});

describe('implicit checks and verdicts', () => {
  const M = TAINT_FLAGS[4]!;
  const implicit = (allowed: typeof TAINT_FLAGS[number][]): ImplicitChecks => ({ allowCrash: false, allowedNewTaint: allowed, allowedReports: [] });
  const diffWithTaint = (before: number, after: number) => {
    const dir = path.join(STATE_FIXTURES, '6.12.117+deb12-amd64');
    const text = fs.readFileSync(path.join(dir, 'before.txt'), 'utf8');
    const a = parseSnapshot(text.replace(/^\/proc\/sys\/kernel\/tainted:.*$/m, `/proc/sys/kernel/tainted:${before}`), []);
    const b = parseSnapshot(text.replace(/^\/proc\/sys\/kernel\/tainted:.*$/m, `/proc/sys/kernel/tainted:${after}`), []);
    return diffSnapshots(a, b);
  };

  it('allows M only when the case injects a machine check', () => {
    expect(checkNoNewTaint(diffWithTaint(0, 16), implicit([M]))).toBeNull();
    expect(checkNoNewTaint(diffWithTaint(0, 16), implicit([]))?.message).toBe('the kernel added taint M (MACHINE_CHECK) (tainted 0 → 16)');
    expect(checkNoNewTaint(diffWithTaint(16, 16 + 512), implicit([M]))?.added).toEqual(['W']);
  });

  it('turns failures into xfail and passes into xpass when the case is expected to fail', () => {
    const xfail = { reason: 'not fixed', reference: 'abc123' };
    const failure = { message: 'expected 1, got 0', location: 'f.yaml:3:5' };
    expect(decideVerdict({ infra: null, crash: null, failures: [failure], unexpectedPasses: [], caseXfail: null }).verdict).toBe('failed');
    expect(decideVerdict({ infra: null, crash: null, failures: [failure], unexpectedPasses: [], caseXfail: xfail }).verdict).toBe('xfail');
    expect(decideVerdict({ infra: null, crash: null, failures: [], unexpectedPasses: [], caseXfail: xfail })).toMatchObject({ verdict: 'xpass', failure: { message: /expected to fail \(not fixed; abc123\)/ } });
    expect(decideVerdict({ infra: null, crash: null, failures: [], unexpectedPasses: ['an item marked xfail passed'], caseXfail: null }).verdict).toBe('xpass');
    expect(decideVerdict({ infra: failure, crash: null, failures: [failure], unexpectedPasses: [], caseXfail: null }).verdict).toBe('infra-error');
    expect(decideVerdict({ infra: null, crash: { title: 'kernel panic: x', kind: 'panic', report: '' }, failures: [failure], unexpectedPasses: [], caseXfail: xfail }).verdict).toBe('crashed');
    expect(decideVerdict({ infra: null, crash: null, failures: [], unexpectedPasses: [], caseXfail: null })).toEqual({ verdict: 'passed' });
  });
});

describe('pages.$t0 of a target the before snapshot did not hold', () => {
  // A `fault: false` target (or one prepared after `snapshot: before`) is read in the after snapshot only.
  const before = parseSnapshot('/proc/meminfo:HardwareCorrupted:       0 kB\n', []);
  const after = parseSnapshot('/proc/meminfo:HardwareCorrupted:       4 kB\nkpageflags:0x6000:0000000000080000\n', [0x6000n]);
  const observe = () => observations({ pfn: 0x6000n, before, after, stateDiff: diffSnapshots(before, after) });
  it('judges has: and lacks: on the after snapshot; set: and cleared: are not available, saying why', () => {
    const [hasLacks, setCleared] = expectations(`
- pages.$t0: { has: [hwpoison], lacks: [huge] }
- pages.$t0: { set: [hwpoison] }
`);
    expect(evaluateExpectation(hasLacks!, observe()).status).toBe('passed');
    const outcome = evaluateExpectation(setCleared!, observe());
    expect(outcome).toMatchObject({ status: 'not-available', message: expect.stringMatching(/was not in the before snapshot .* has: and lacks: read the after one only/) });
  });
});
