import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { ListReporter } from '../reporters/list-reporter.ts';
import type { AttemptBeginInfo, Reporter, ReporterCase } from '../reporters/reporter.ts';
import type { AttemptResult, CaseResult, KernelInfo, Recovery } from '../results/run-result.ts';
import { kernelFacts, parseSuite, type SuiteCase } from '../suite/index.ts';
import type { Guest } from '../vm/guest.ts';
import { Dispatcher, type AttemptRunner, type CasePool } from './dispatcher.ts';
import type { ExecutedCase } from './execute-case.ts';
import { FailureTracker } from './failure-tracker.ts';
import { LeaseError, type LeasedGuest, type PoolTimings } from './guest-pool.ts';
import { groupByGuest, planWork } from './run-plan.ts';

// The dispatcher's scheduling with guests and cases replaced by timed fakes: which leases
// overlap, when pools close, what is reported. The guest path is covered by run-command.guest.test.ts.

const SUITE = `
suite: sched
title: scheduling
cases:
  - id: a-\${n}
    title: group a case \${n}
    parameters: { n: [1, 2, 3] }
    steps: [{ shell: 'true' }]
  - id: b-\${n}
    title: group b case \${n}
    parameters: { n: [1, 2, 3] }
    guest: { memoryMiB: 1024 }
    steps: [{ shell: 'true' }]
  - id: fail-\${n}
    title: failing case \${n}
    parameters: { n: [1, 2] }
    steps: [{ shell: 'false' }]
`;

function loadCases(): SuiteCase[] {
  const loaded = parseSuite(SUITE, 'sched.yaml');
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  return loaded.suite.cases;
}

const kernel: KernelInfo = { id: 'test', release: '6.12.0-test' };
const facts = kernelFacts({ release: '6.12.0-test', upstreamVersion: '6.12.0' });

interface Log {
  events: string[];
  live: number;
  maxLive: number;
}

class FakePool implements CasePool {
  readonly timings: PoolTimings = { boots: [], restores: [], saveMs: null, fallbacks: [], snapshotKind: null, privateKiB: [] };
  private leases = 0;
  private first: Promise<void> | null = null;
  closed = 0;

  constructor(
    private readonly name: string,
    private readonly log: Log,
    private readonly bootFails = false,
    /** Per lease number: what that lease got over, or (an Error) how it failed after recovering. */
    private readonly recoveries: Record<number, Recovery[] | LeaseError> = {},
  ) {}

  prepare(): never {
    throw new Error('not used');
  }

  async lease(): Promise<LeasedGuest> {
    const n = ++this.leases;
    if (n === 1) {
      this.log.events.push(`${this.name}: boot`);
      this.first = sleep(30).then(() => undefined);
      await this.first;
      if (this.bootFails) throw new Error('QEMU exited during boot');
      this.timings.boots.push(30);
    } else {
      await this.first;
      if (this.bootFails) throw new Error('QEMU exited during boot');
      this.log.events.push(`${this.name}: restore`);
      await sleep(5);
      this.timings.restores.push(5);
    }
    const recovered = this.recoveries[n] ?? [];
    if (recovered instanceof LeaseError) throw recovered;
    this.log.live += 1;
    this.log.maxLive = Math.max(this.log.maxLive, this.log.live);
    return { guest: { name: `${this.name}-${n}` } as unknown as Guest, isolation: n === 1 ? 'boot' : 'restore', setupMs: 0, recoveries: recovered };
  }

  async release(): Promise<void> {
    this.log.live -= 1;
  }

  killAll(): void {
    this.log.events.push(`${this.name}: killed`);
  }

  async close(): Promise<void> {
    this.closed += 1;
    this.log.events.push(`${this.name}: closed`);
  }
}

const runAttempt: AttemptRunner = async (leased, planned, attempt) => {
  await sleep(10);
  const failed = planned.case.id.startsWith('fail');
  return {
    attempt,
    verdict: failed ? 'failed' : 'passed',
    durationMs: 10,
    isolation: leased.isolation,
    ...(failed ? { failure: { message: 'shell step exited 1, expected 0' } } : {}),
    events: [],
    stateDiff: undefined,
    injections: [],
    artifacts: {},
    steps: [],
    checks: [],
  } satisfies ExecutedCase;
};

class RecordingReporter implements Reporter {
  readonly name = 'recording';
  readonly begun: string[] = [];
  readonly ended: CaseResult[] = [];
  /** Every case event, by planned id: `case`, `attempt N`, `attempt N <verdict>`, `end <verdict>`. */
  readonly byId = new Map<string, string[]>();
  private inside = 0;
  overlapped = false;
  private note(test: ReporterCase, event: string): void {
    this.byId.set(test.id, [...(this.byId.get(test.id) ?? []), event]);
  }
  onBegin(): void {}
  onCaseBegin(test: ReporterCase): void {
    this.begun.push(test.key);
    this.note(test, 'case');
  }
  onAttemptBegin(test: ReporterCase, attempt: AttemptBeginInfo): void {
    this.note(test, `attempt ${attempt.attempt}`);
  }
  onAttemptEnd(test: ReporterCase, attempt: AttemptResult): void {
    this.note(test, `attempt ${attempt.attempt} ${attempt.verdict}`);
  }
  async onCaseEnd(test: ReporterCase, result: CaseResult): Promise<void> {
    this.inside += 1;
    if (this.inside > 1) this.overlapped = true;
    this.note(test, `end ${result.verdict}`);
    await sleep(3);
    this.ended.push(result);
    this.inside -= 1;
  }
  onError(): void {}
  async onEnd(): Promise<void> {}
  printsToStdio(): boolean {
    return false;
  }
}

function setup(options: {
  workers: number;
  cases?: (c: SuiteCase) => boolean;
  maxFailures?: number;
  retries?: number;
  repeatEach?: number;
  bootFails?: string;
  signal?: AbortSignal;
  recoveries?: Record<number, Recovery[] | LeaseError>;
  reporter?: Reporter;
}) {
  const cases = loadCases().filter(options.cases ?? (() => true));
  const plan = planWork(cases, options.repeatEach ?? 1);
  const groups = groupByGuest(plan);
  const log: Log = { events: [], live: 0, maxLive: 0 };
  const pools: FakePool[] = [];
  const recording = new RecordingReporter();
  const reporter = options.reporter ?? recording;
  const results: CaseResult[] = [];
  const dispatcher = new Dispatcher({
    groups,
    total: plan.length,
    workers: options.workers,
    maxFailures: options.maxFailures ?? 0,
    kernels: [{ ref: undefined, info: kernel, facts }],
    accel: 'tcg',
    runDir: '/nonexistent',
    workDir: '/nonexistent',
    reporter,
    tracker: new FailureTracker(options.retries ?? 0),
    progress: { info: () => undefined, step: (_label, work) => work() },
    signal: options.signal ?? new AbortController().signal,
    onResult: (result) => results.push(result),
    createPool: (group, index) => {
      const name = group.cases[0]!.case.id.split('-')[0]! + (index === 0 ? '' : '');
      const pool = new FakePool(name, log, name === options.bootFails, options.recoveries);
      pools.push(pool);
      return pool;
    },
    runAttempt,
  });
  return { dispatcher, log, pools, reporter: recording, results, groups, plan };
}

describe('Dispatcher', () => {
  it('with two workers boots two groups side by side and never runs more than two guests', async () => {
    const { dispatcher, log, pools, reporter, results } = setup({ workers: 2, cases: (c) => !c.id.startsWith('fail') });
    await dispatcher.run();
    expect(results.map((r) => r.key).sort()).toEqual(['sched/a-1', 'sched/a-2', 'sched/a-3', 'sched/b-1', 'sched/b-2', 'sched/b-3']);
    expect(results.every((r) => r.verdict === 'passed')).toBe(true);
    expect(log.maxLive).toBe(2);
    // Both boots happen before either group's first case is done: the second worker did not wait.
    expect(log.events.slice(0, 2)).toEqual(['a: boot', 'b: boot']);
    expect(pools.map((pool) => pool.closed)).toEqual([1, 1]);
    expect(reporter.overlapped).toBe(false);
    expect(reporter.ended.map((r) => r.key)).toEqual(results.map((r) => r.key));
  });

  it('with one worker finishes a group and closes its pool before the next one boots', async () => {
    const { dispatcher, log } = setup({ workers: 1, cases: (c) => !c.id.startsWith('fail') });
    await dispatcher.run();
    expect(log.maxLive).toBe(1);
    expect(log.events).toEqual(['a: boot', 'a: restore', 'a: restore', 'a: closed', 'b: boot', 'b: restore', 'b: restore', 'b: closed']);
  });

  it('splits one group over two workers: the second waits for the snapshot, then restores', async () => {
    const { dispatcher, log, pools, results } = setup({ workers: 2, cases: (c) => c.id.startsWith('a-') });
    await dispatcher.run();
    expect(results).toHaveLength(3);
    expect(log.maxLive).toBe(2);
    expect(pools).toHaveLength(1);
    expect(pools[0]!.timings.boots).toHaveLength(1);
    expect(pools[0]!.timings.restores).toHaveLength(2);
    expect(results.flatMap((r) => r.attempts.map((a) => a.isolation)).sort()).toEqual(['boot', 'restore', 'restore']);
  });

  it('stops starting cases at --max-failures and lists the rest as skipped', async () => {
    const { dispatcher, results, plan } = setup({ workers: 1, maxFailures: 1, cases: (c) => c.id.startsWith('fail') || c.id.startsWith('b-') });
    await dispatcher.run();
    expect(dispatcher.stopReason).toBe('not run: --max-failures 1 reached');
    expect(results).toHaveLength(plan.length);
    const byKey = Object.fromEntries(results.map((r) => [r.key, r.verdict]));
    expect(byKey['sched/fail-1']).toBe('failed');
    expect(byKey['sched/fail-2']).toBe('skipped');
    expect(results.filter((r) => r.verdict === 'skipped').every((r) => r.skipReason === 'not run: --max-failures 1 reached')).toBe(true);
  });

  it('turns a group whose guest cannot boot into infra errors without stalling the other workers', async () => {
    const { dispatcher, results } = setup({ workers: 2, bootFails: 'a', cases: (c) => !c.id.startsWith('fail') });
    await dispatcher.run();
    const verdicts = Object.fromEntries(results.map((r) => [r.key, r.verdict]));
    expect(verdicts).toMatchObject({ 'sched/a-1': 'infra-error', 'sched/a-2': 'infra-error', 'sched/a-3': 'infra-error', 'sched/b-1': 'passed', 'sched/b-3': 'passed' });
    expect(results.find((r) => r.key === 'sched/a-2')!.failure!.message).toContain('no guest for the case: QEMU exited during boot');
  });

  it('retries a failing case on its worker and records every attempt', async () => {
    const { dispatcher, results, reporter } = setup({ workers: 2, retries: 2, cases: (c) => c.id === 'fail-1' });
    await dispatcher.run();
    expect(results).toHaveLength(1);
    expect(results[0]!.attempts.map((a) => a.verdict)).toEqual(['failed', 'failed', 'failed']);
    // One onCaseBegin and one onCaseEnd for the case; begin and end for each attempt between.
    expect([...reporter.byId.values()]).toEqual([['case', 'attempt 1', 'attempt 1 failed', 'attempt 2', 'attempt 2 failed', 'attempt 3', 'attempt 3 failed', 'end failed']]);
  });

  it('reports each planned case once, keyed by its id, however the workers interleave them', async () => {
    const { dispatcher, reporter, plan } = setup({ workers: 2, repeatEach: 2, cases: (c) => !c.id.startsWith('fail') });
    await dispatcher.run();
    expect(reporter.byId.size).toBe(plan.length);
    for (const events of reporter.byId.values()) expect(events).toEqual(['case', 'attempt 1', 'attempt 1 passed', 'end passed']);
  });

  it('runs two repeats of one case at once on two workers, and the list reporter keeps them apart', async () => {
    const chunks: string[] = [];
    let clock = 0;
    const list = new ListReporter({ stream: { write: (text: string) => chunks.push(text), columns: 300 }, isTTY: true, colours: false, now: () => (clock += 100) });
    const { dispatcher, results, log } = setup({ workers: 2, repeatEach: 2, cases: (c) => c.id === 'a-1', reporter: list });
    await list.onBegin({ accelerator: { accel: 'tcg', reason: 'test' } } as never, { total: 2, kernels: [kernel] });
    await dispatcher.run();
    await list.onEnd({ accelerator: { accel: 'tcg', reason: 'test' }, cases: results, startedAt: new Date(0).toISOString(), endedAt: null, interrupted: false, complete: true } as never);
    expect(results.map((r) => [r.key, r.repeatIndex]).sort()).toEqual([['sched/a-1', 0], ['sched/a-1', 1]]);
    // Both guests were live at once: the repeats really were in flight together.
    expect(log.maxLive).toBe(2);
    const text = chunks.join('');
    const statuses = text.split('\r\x1b[K').filter((part) => part.startsWith('['));
    expect(statuses.some((status) => /^\[1\/2\] 6\.12\.0-test › group a case 1 \S+ \| \[2\/2\] 6\.12\.0-test › group a case 1 \(repeat 2\) /.test(status))).toBe(true);
    expect(text.match(/✓ \[1\/2\] 6\.12\.0-test › sched › group a case 1 \[n=1\] \(/g)).toHaveLength(1);
    expect(text.match(/✓ \[2\/2\] 6\.12\.0-test › sched › group a case 1 \[n=1\] \(repeat 2\) \(/g)).toHaveLength(1);
  });

  it("records in each attempt what its lease got over, and a lease's recoveries when it failed after them", async () => {
    const redone: Recovery = { what: 'restore-redone', message: 'restoring the snapshot failed (QEMU exited (SIGKILL) while loading the snapshot); a second restore worked' };
    const fellBack: Recovery = { what: 'restore-fell-back-to-boot', message: 'restoring the snapshot failed twice (a; again: b); booted a fresh guest instead' };
    const { dispatcher, results } = setup({ workers: 1, cases: (c) => c.id.startsWith('a-'), recoveries: { 2: [redone], 3: new LeaseError(new Error('QEMU exited during boot'), [fellBack]) } });
    await dispatcher.run();
    const byKey = Object.fromEntries(results.map((r) => [r.key, r]));
    expect(byKey['sched/a-1']!.attempts[0]!.recoveries).toBeUndefined();
    expect(byKey['sched/a-2']!.attempts[0]!.recoveries).toEqual([redone]);
    expect(byKey['sched/a-2']!.verdict).toBe('passed');
    expect(byKey['sched/a-3']!.verdict).toBe('infra-error');
    expect(byKey['sched/a-3']!.failure!.message).toBe('no guest for the case: QEMU exited during boot');
    expect(byKey['sched/a-3']!.attempts[0]!.recoveries).toEqual([fellBack]);
  });

  it('starts nothing new after a stop and reports no interrupted case', async () => {
    const controller = new AbortController();
    const { dispatcher, results, log } = setup({ workers: 2, signal: controller.signal });
    const running = dispatcher.run();
    await sleep(35);
    controller.abort();
    dispatcher.stop();
    await running;
    await dispatcher.closeAll();
    expect(results.length).toBeLessThan(8);
    expect(log.events).toContain('a: killed');
    expect(log.live).toBe(0);
  });
});
