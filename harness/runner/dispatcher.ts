import path from 'node:path';
import type { AcceleratorRequest } from '../host/accelerator.ts';
import type { PreparedLaunch } from '../launch/launch-guest.ts';
import { plannedCaseId, type Reporter, type ReporterCase } from '../reporters/reporter.ts';
import type { CaseResult, KernelInfo, Recovery } from '../results/run-result.ts';
import type { Progress } from '../util/progress.ts';
import { attemptOf, executedCaseResult, infraAttempt, skippedCaseResult } from './case-result.ts';
import { executeCase, type ExecutedCase } from './execute-case.ts';
import type { FailureTracker } from './failure-tracker.ts';
import { GroupQueue, type QueuedCase } from './group-queue.ts';
import { GuestPool, LeaseError, type LeasedGuest, type PoolTimings } from './guest-pool.ts';
import { bootModulesFor, kernelOf, type GuestGroup, type PlannedCase, type RunKernel } from './run-plan.ts';
import { errorText } from './step-errors.ts';

/** What the dispatcher needs of a group's guests (GuestPool; a fake in unit tests). */
export interface CasePool {
  readonly timings: PoolTimings;
  prepare(): Promise<PreparedLaunch>;
  lease(): Promise<LeasedGuest>;
  release(guest: LeasedGuest['guest']): Promise<void>;
  killAll(): void;
  close(): Promise<void>;
}

/** Runs one attempt of a case on a leased guest (executeCase; a fake in unit tests). */
export type AttemptRunner = (leased: LeasedGuest, planned: PlannedCase, attempt: number, artifactsDir: string) => Promise<ExecutedCase>;

export interface DispatcherOptions {
  groups: readonly GuestGroup[];
  total: number;
  /** Guests running cases at once (each its own QEMU). */
  workers: number;
  /** Stop starting cases after this many kernel failures (failed, crashed, xpass); 0: never. */
  maxFailures: number;
  /** The run's kernels; a group names its own by index. */
  kernels: readonly RunKernel[];
  accel: AcceleratorRequest;
  runDir: string;
  /** Scratch for guests and snapshots (not kept). */
  workDir: string;
  reporter: Reporter;
  tracker: FailureTracker;
  progress: Progress;
  signal: AbortSignal;
  bootTimeoutMs?: number;
  noSnapshot?: boolean;
  /** Called with each finished case (the run keeps its list). */
  onResult(result: CaseResult): void;
  createPool?: (group: GuestGroup, groupIndex: number) => CasePool;
  runAttempt?: AttemptRunner;
}

/** The reporters' view of a planned case: its id is the same however the run is sharded or replayed. */
export function plannedReporterCase(planned: PlannedCase, kernel: KernelInfo, total: number): ReporterCase {
  const testCase = planned.case;
  return { id: plannedCaseId({ kernel, key: testCase.key, repeatIndex: planned.repeatIndex }), key: testCase.key, title: testCase.title, kernel, repeatIndex: planned.repeatIndex, index: planned.index, total };
}

export interface GroupTimings extends PoolTimings {
  group: string;
  cases: number;
}

/**
 * Runs the groups on `workers` guests at once (Playwright's dispatcher): each worker takes
 * the next case from the GroupQueue, leases a clean guest from its group's pool (the pool
 * boots and snapshots the group's first guest; later leases restore), runs the attempts,
 * and reports. A group's pool is closed as soon as its last case is done, so at most
 * `workers` guests and the snapshots of the groups in progress exist at a time. Reporter
 * calls go through one chain: results.json and the terminal see events one at a time, in
 * the order they happened; each case's onCaseBegin, attempts and onCaseEnd in its own order,
 * cases of several workers interleaved (told apart by their planned id).
 */
export class Dispatcher {
  readonly timings: GroupTimings[] = [];
  private readonly queue: GroupQueue;
  private readonly pools = new Map<number, CasePool>();
  private reporting: Promise<void> = Promise.resolve();
  private stoppedBy: string | null = null;
  private killed = false;

  constructor(private readonly options: DispatcherOptions) {
    this.queue = new GroupQueue(options.groups);
  }

  /** Ctrl-C: no more cases start; the guests die now. */
  stop(): void {
    this.killed = true;
    for (const pool of this.pools.values()) pool.killAll();
  }

  /** Why the run stopped before every case ran (--max-failures), or null. */
  get stopReason(): string | null {
    return this.stoppedBy;
  }

  async run(): Promise<void> {
    const workers = Math.max(1, Math.min(this.options.workers, this.options.total || 1));
    await Promise.all(Array.from({ length: workers }, (_, worker) => this.workerLoop(worker + 1)));
    await this.reporting;
    if (this.stoppedBy && !this.options.signal.aborted) await this.reportNotRun(this.stoppedBy);
  }

  /**
   * Prepares the first group's launch (host packages, kernel, image, accelerator) before the
   * run begins, so the run's metadata can name the accelerator and QEMU; null without groups.
   */
  async prepareFirst(): Promise<PreparedLaunch | null> {
    if (this.options.groups.length === 0) return null;
    return this.poolOf(0).prepare();
  }

  private async workerLoop(worker: number): Promise<void> {
    const { options } = this;
    for (;;) {
      if (options.signal.aborted || this.killed || this.stoppedBy) return;
      const next = this.queue.next();
      if (!next) return;
      const ran = await this.runCase(next, worker);
      const groupDone = this.queue.finish(next.groupIndex);
      if (ran && !options.signal.aborted) await this.report(ran.test, ran.result);
      if (groupDone) await this.closePool(next.groupIndex);
    }
  }

  /** Queues a reporter call behind the ones before it; a reporter's failure is the multiplexer's to record. */
  private emit(call: (reporter: Reporter) => void | Promise<void>): void {
    this.reporting = this.reporting.then(() => call(this.options.reporter)).catch(() => undefined);
  }

  private report(test: ReporterCase, result: CaseResult): Promise<void> {
    const { options } = this;
    const reported = this.reporting.then(async () => {
      options.onResult(result);
      await options.reporter.onCaseEnd(test, result);
    });
    this.reporting = reported.catch(() => undefined);
    if (options.maxFailures > 0 && options.tracker.kernelFailures >= options.maxFailures && !this.stoppedBy) {
      this.stoppedBy = `not run: --max-failures ${options.maxFailures} reached`;
      options.progress.info(`memharness: ${options.tracker.kernelFailures} kernel failure(s): --max-failures ${options.maxFailures} reached, starting no more cases`);
    }
    return reported;
  }

  /** Cases a --max-failures stop left unstarted: reported as skipped, so the results list every case. */
  private async reportNotRun(reason: string): Promise<void> {
    for (const { planned } of this.queue.drain()) {
      const kernel = kernelOf(this.options.kernels, planned).info;
      const test = plannedReporterCase(planned, kernel, this.options.total);
      this.emit((reporter) => reporter.onCaseBegin(test));
      await this.report(test, skippedCaseResult(planned.case, kernel, planned.repeatIndex, reason));
    }
  }

  private poolOf(groupIndex: number): CasePool {
    let pool = this.pools.get(groupIndex);
    if (!pool) {
      const group = this.options.groups[groupIndex]!;
      pool = this.options.createPool ? this.options.createPool(group, groupIndex) : this.guestPool(group, groupIndex);
      this.pools.set(groupIndex, pool);
      if (this.killed) pool.killAll();
    }
    return pool;
  }

  private guestPool(group: GuestGroup, groupIndex: number): GuestPool {
    const { options } = this;
    const kernel = kernelOf(options.kernels, group);
    const spec = { ...group.spec, modules: bootModulesFor(group, kernel.facts) };
    return new GuestPool({ kernelRef: kernel.ref, spec, accel: options.accel, workDir: path.join(options.workDir, `group-${groupIndex + 1}`), progress: options.progress, bootTimeoutMs: options.bootTimeoutMs, noSnapshot: options.noSnapshot });
  }

  private async closePool(groupIndex: number): Promise<void> {
    const pool = this.pools.get(groupIndex);
    if (!pool) return;
    this.pools.delete(groupIndex);
    const group = this.options.groups[groupIndex]!;
    const kernel = this.options.kernels.length > 1 ? ` on ${kernelOf(this.options.kernels, group).info.release}` : '';
    this.timings.push({ group: `group-${groupIndex + 1}${kernel}`, cases: group.cases.length, ...pool.timings });
    await pool.close();
  }

  /** Closes what a stop left open (the normal path closes each pool when its group ends). */
  async closeAll(): Promise<void> {
    await Promise.all([...this.pools.keys()].map((groupIndex) => this.closePool(groupIndex)));
  }

  private async runCase({ groupIndex, planned }: QueuedCase, worker: number): Promise<{ test: ReporterCase; result: CaseResult } | null> {
    const { options } = this;
    const pool = this.poolOf(groupIndex);
    const testCase = planned.case;
    const kernel = kernelOf(options.kernels, planned).info;
    const test = plannedReporterCase(planned, kernel, options.total);
    const executions: ExecutedCase[] = [];
    const caseDir = `cases/${String(planned.index).padStart(3, '0')}-${options.kernels.length > 1 ? `${kernel.id}-` : ''}${testCase.key.replace(/[^A-Za-z0-9_.-]+/g, '_')}${planned.repeatIndex > 0 ? `-r${planned.repeatIndex}` : ''}`;
    this.emit((reporter) => reporter.onCaseBegin(test));
    for (let attempt = 1; ; attempt++) {
      this.emit((reporter) => reporter.onAttemptBegin(test, { attempt, worker }));
      const started = Date.now();
      let leased: LeasedGuest | undefined;
      let executed: ExecutedCase | undefined;
      try {
        leased = await pool.lease();
      } catch (error) {
        if (options.signal.aborted) return null;
        executed = withRecoveries(infraAttempt(attempt, `no guest for the case: ${errorText(error)}`, 'boot', Date.now() - started), error instanceof LeaseError ? error.recoveries : []);
      } finally {
        // Whether the first boot worked or not, the group's later cases need not wait any more.
        this.queue.markReady(groupIndex);
      }
      if (leased) {
        try {
          executed = withRecoveries(await this.attempt(leased, planned, attempt, path.join(options.runDir, caseDir, `attempt-${attempt}`)), leased.recoveries);
        } catch (error) {
          if (!options.signal.aborted) executed = withRecoveries(infraAttempt(attempt, `the case could not be run: ${errorText(error)}`, leased.isolation, Date.now() - started), leased.recoveries);
        } finally {
          await pool.release(leased.guest);
        }
      }
      if (options.signal.aborted || !executed) return null; // an interrupted case is not reported
      executions.push(executed);
      const done = attemptOf(executed);
      this.emit((reporter) => reporter.onAttemptEnd(test, done));
      if (!options.tracker.shouldRetry(executions)) break;
    }
    const verdict = options.tracker.record(executions);
    return { test, result: executedCaseResult(testCase, kernel, planned.repeatIndex, verdict, executions) };
  }

  private attempt(leased: LeasedGuest, planned: PlannedCase, attempt: number, artifactsDir: string): Promise<ExecutedCase> {
    const { options } = this;
    if (options.runAttempt) return options.runAttempt(leased, planned, attempt, artifactsDir);
    const kernel = kernelOf(options.kernels, planned);
    // The pool releases (kills) the guest after this attempt: nothing of it needs closing.
    return executeCase({ guest: leased.guest, case: planned.case, kernel: kernel.info, attempt, isolation: leased.isolation, artifactsDir, runDir: options.runDir, facts: kernel.facts, signal: options.signal, disposable: true });
  }
}

/** The attempt with what its lease got over, if anything: results.json keeps it in the attempt. */
function withRecoveries(executed: ExecutedCase, recoveries: readonly Recovery[]): ExecutedCase {
  return recoveries.length > 0 ? { ...executed, recoveries: [...(executed.recoveries ?? []), ...recoveries] } : executed;
}
