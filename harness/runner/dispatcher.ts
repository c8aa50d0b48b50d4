import path from 'node:path';
import type { AcceleratorRequest } from '../host/accelerator.ts';
import type { Reporter } from '../reporters/reporter.ts';
import type { CaseResult, KernelInfo } from '../results/run-result.ts';
import type { KernelFacts } from '../suite/index.ts';
import type { PreparedLaunch } from '../launch/launch-guest.ts';
import type { Progress } from '../util/progress.ts';
import { executedCaseResult, infraAttempt } from './case-result.ts';
import { executeCase, type ExecutedCase } from './execute-case.ts';
import type { FailureTracker } from './failure-tracker.ts';
import { GuestPool } from './guest-pool.ts';
import { bootModulesFor, type GuestGroup, type PlannedCase } from './run-plan.ts';
import { errorText } from './step-errors.ts';

export interface DispatcherOptions {
  groups: readonly GuestGroup[];
  total: number;
  kernel: KernelInfo;
  facts: KernelFacts;
  kernelRef?: string;
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
}

export interface GroupTimings {
  group: string;
  cases: number;
  boots: number[];
  restores: number[];
  saveMs: number | null;
  fallbacks: string[];
}

/**
 * Runs the groups (Playwright's dispatcher). One worker: groups one after another, cases of a
 * group one after another on its pool. A second worker would plug in here: hand each worker
 * its own groups (or split a large group's cases over two pools restoring the same snapshot;
 * restores already pick their own SSH port and machine dir), with reporters called from this
 * one loop so results.json stays in order of completion.
 */
export class Dispatcher {
  readonly timings: GroupTimings[] = [];
  private readonly pools = new Set<GuestPool>();
  private firstPool: GuestPool | null = null;

  constructor(private readonly options: DispatcherOptions) {}

  /** Ctrl-C: no more cases start; the guests die now. */
  stop(): void {
    this.firstPool?.killAll();
    for (const pool of this.pools) pool.killAll();
  }

  async run(): Promise<void> {
    for (const [index, group] of this.options.groups.entries()) {
      if (this.options.signal.aborted) return;
      await this.runGroup(group, index);
    }
  }

  /**
   * Prepares the first group's launch (host packages, kernel, image, accelerator) before the
   * run begins, so the run's metadata can name the accelerator and QEMU; null without groups.
   */
  async prepareFirst(): Promise<PreparedLaunch | null> {
    const first = this.options.groups[0];
    if (!first) return null;
    this.firstPool ??= this.poolFor(first, 0);
    return this.firstPool.prepare();
  }

  private poolFor(group: GuestGroup, groupIndex: number): GuestPool {
    const { options } = this;
    const spec = { ...group.spec, modules: bootModulesFor(group, options.facts) };
    return new GuestPool({ kernelRef: options.kernelRef, spec, accel: options.accel, workDir: path.join(options.workDir, `group-${groupIndex + 1}`), progress: options.progress, bootTimeoutMs: options.bootTimeoutMs, noSnapshot: options.noSnapshot });
  }

  private async runGroup(group: GuestGroup, groupIndex: number): Promise<void> {
    const { options } = this;
    const pool = groupIndex === 0 && this.firstPool ? this.firstPool : this.poolFor(group, groupIndex);
    this.pools.add(pool);
    try {
      for (const planned of group.cases) {
        if (options.signal.aborted) return;
        const result = await this.runCase(pool, planned);
        if (!result || options.signal.aborted) return; // an interrupted case is not reported
        options.onResult(result);
        await options.reporter.onCaseEnd(result);
      }
    } finally {
      this.timings.push({ group: `group-${groupIndex + 1}`, cases: group.cases.length, ...pool.timings });
      this.pools.delete(pool);
      await pool.close();
    }
  }

  private async runCase(pool: GuestPool, planned: PlannedCase): Promise<CaseResult | null> {
    const { options } = this;
    const testCase = planned.case;
    const executions: ExecutedCase[] = [];
    const caseDir = `cases/${String(planned.index).padStart(3, '0')}-${testCase.key.replace(/[^A-Za-z0-9_.-]+/g, '_')}${planned.repeatIndex > 0 ? `-r${planned.repeatIndex}` : ''}`;
    for (let attempt = 1; ; attempt++) {
      await options.reporter.onCaseBegin({ key: testCase.key, title: testCase.title, kernel: options.kernel, index: planned.index, total: options.total, attempt });
      const started = Date.now();
      let leased;
      try {
        leased = await pool.lease();
      } catch (error) {
        if (options.signal.aborted) return null;
        executions.push(infraAttempt(attempt, `no guest for the case: ${errorText(error)}`, 'boot', Date.now() - started));
      }
      if (leased) {
        try {
          const executed = await executeCase({
            guest: leased.guest,
            case: testCase,
            kernel: options.kernel,
            attempt,
            isolation: leased.isolation,
            artifactsDir: path.join(options.runDir, caseDir, `attempt-${attempt}`),
            runDir: options.runDir,
            facts: options.facts,
            signal: options.signal,
          });
          executions.push(executed);
        } catch (error) {
          if (!options.signal.aborted) executions.push(infraAttempt(attempt, `the case could not be run: ${errorText(error)}`, leased.isolation, Date.now() - started));
        } finally {
          await pool.release(leased.guest);
        }
      }
      if (options.signal.aborted) return null;
      if (!options.tracker.shouldRetry(executions.map((e) => ({ attempt: e.attempt, verdict: e.verdict, durationMs: e.durationMs, isolation: e.isolation })))) break;
    }
    const verdict = options.tracker.record(executions.map((e) => ({ attempt: e.attempt, verdict: e.verdict, durationMs: e.durationMs, isolation: e.isolation })));
    return executedCaseResult(testCase, options.kernel, planned.repeatIndex, verdict, executions);
  }
}
