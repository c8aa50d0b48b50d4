import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { AcceleratorRequest } from '../host/accelerator.ts';
import { resolveKernel } from '../kernel/index.ts';
import { aptArchive, findInArchive } from '../kernel/debian-archive.ts';
import { expandKernelList, parseKernelList } from '../kernel/kernel-range.ts';
import type { PreparedKernel } from '../kernel/prepared-kernel.ts';
import { createReporters } from '../reporters/create-reporters.ts';
import type { TextSink } from '../reporters/list-reporter.ts';
import { exitCodeForRun } from '../results/exit-code.ts';
import { createRunDir } from '../results/run-dirs.ts';
import { newRunId } from '../results/run-id.ts';
import type { CaseResult, KernelInfo, RunError, RunResult, SuiteFileInfo } from '../results/run-result.ts';
import { harnessVersion } from '../cli/version.ts';
import { formatProblem, kernelFactsOf, loadSuites, type LoadedSuite, type SuiteCase, type SuiteProblem } from '../suite/index.ts';
import { dedupeProblems, formatLocation } from '../suite/problems.ts';
import { killAllChildGroups } from '../util/child-processes.ts';
import { EXIT_INFRA, EXIT_OK } from '../util/errors.ts';
import { cacheDir as defaultCacheDir } from '../util/paths.ts';
import { createProgress, type Progress } from '../util/progress.ts';
import { checkSuitePrograms } from '../programs/check-programs.ts';
import { skippedCaseResult } from './case-result.ts';
import { Dispatcher, plannedReporterCase, type GroupTimings } from './dispatcher.ts';
import { FailureTracker } from './failure-tracker.ts';
import { applyRequirements, filterCases, groupByGuest, kernelOf, planWork, shardPlan, type CaseFilter, type PlannedCase, type RunKernel, type Shard } from './run-plan.ts';
import { describeAssignment, shardNotes, weighByDurations } from './shard-groups.ts';
import { SigIntWatcher } from './sigint-watcher.ts';
import { chooseWorkers } from './worker-count.ts';

export interface RunSuitesOptions {
  paths: readonly string[];
  /** --kernel values in order (each may be a list or a range, 6.1.0-47..6.1.0-56); empty: the default kernel. */
  kernels: readonly string[];
  /** Run only this shard of the (kernel x case) work. */
  shard?: Shard;
  /** A previous run whose case durations weigh the guest groups --shard deals out (default: case counts). */
  shardDurations?: RunResult;
  /** The run directory itself; default results/<run-id>/. */
  output?: string;
  reporters: readonly string[];
  retries: number;
  repeatEach: number;
  /** Guests at once; 'auto' chooses from host CPUs and free memory. */
  workers: number | 'auto';
  /** Stop starting cases after this many kernel failures; 0: never. */
  maxFailures?: number;
  filter: CaseFilter;
  list?: boolean;
  accel: AcceleratorRequest;
  bootTimeoutMs?: number;
  noSnapshot?: boolean;
  stdout?: TextSink & { isTTY?: boolean };
  progress?: Progress;
  /**
   * Suite problems go to stderr and stop the run before anything boots. With this, they also
   * go to the reporters, as run errors with their file:line:col, in a run directory holding
   * only them (results.json's `errors`, junit.xml, report.html, ...): what a CI job that chose
   * its --output or --reporter collects. Without it (a bare `memharness run` at a terminal),
   * stderr alone, and no run directory, which `latest` would name next.
   */
  reportLoadProblems?: boolean;
}

export interface RunSuitesOutcome {
  exitCode: number;
  run: RunResult | null;
  runDir: string | null;
  timings: GroupTimings[];
  /** The suite cases the filter selected (before sharding and requirements): what the run was asked to cover. */
  selected: readonly SuiteCase[];
}

/**
 * `memharness run`: load and expand the suites (problems: exit 2 before anything boots, and
 * with `reportLoadProblems` a run directory holding them),
 * resolve the kernel, skip what its facts rule out, group the rest by guest configuration,
 * run the groups (boot once, snapshot, restore per case, retries), and write the results
 * through the reporters as cases finish.
 */
export async function runSuites(options: RunSuitesOptions): Promise<RunSuitesOutcome> {
  const stdout = options.stdout ?? process.stdout;
  const progress = options.progress ?? createProgress();
  const read = await loadSuites(options.paths);
  // Programs are compiled (and cached) before anything boots: a broken one is a suite problem.
  const loaded = { ...read, problems: dedupeProblems([...read.problems, ...(await checkSuitePrograms(read.suites, { cacheDir: defaultCacheDir() }))]) };
  if (loaded.problems.length > 0) {
    for (const problem of loaded.problems) process.stderr.write(`${formatProblem(problem)}\n`);
    process.stderr.write(`memharness: ${loaded.problems.length} problem(s) in the suites; nothing was run\n`);
    if (options.list || !options.reportLoadProblems) return { exitCode: EXIT_INFRA, run: null, runDir: null, timings: [], selected: [] };
    return reportLoadProblems(options, loaded.suites, loaded.problems, stdout);
  }
  const selected = filterCases(loaded.suites.flatMap((suite) => suite.cases), options.filter);
  const kernelRefs: Array<string | undefined> = options.kernels.length > 0 ? await expandKernelList(parseKernelList(options.kernels), (pick) => findInArchive(pick, aptArchive(progress))) : [undefined];
  const whole = planWork(selected, options.repeatEach, kernelRefs.length);
  const sharding = options.shard ? shardPlan(whole, options.shard.total, options.shardDurations ? weighByDurations(options.shardDurations, kernelRefs) : undefined) : null;
  const planned = options.shard && sharding ? sharding.shards[options.shard.index - 1]!.cases : whole;
  if (options.list) {
    if (options.shard && sharding) for (const line of describeAssignment(sharding, options.shard.index, kernelRefs)) stdout.write(`${line}\n`);
    for (const entry of planned) stdout.write(`${kernelRefs.length > 1 ? `${kernelRefs[entry.kernelIndex]} › ` : ''}${entry.case.key}${entry.repeatIndex > 0 ? ` (repeat ${entry.repeatIndex})` : ''}\n`);
    stdout.write(`${planned.length} case(s)${options.shard ? ` in shard ${options.shard.index}/${options.shard.total} of ${whole.length}` : ''}${kernelRefs.length > 1 ? ` on ${kernelRefs.length} kernels` : ''}\n`);
    return { exitCode: EXIT_OK, run: null, runDir: null, timings: [], selected };
  }
  if (options.shard && sharding) for (const note of shardNotes(sharding, kernelRefs, options.shard.index)) progress.info(`memharness: ${note}`);

  const resolved = await resolveRunKernels(kernelRefs, planned, progress);
  const kernels = resolved.kernels;
  const kernelInfos = kernels.map((kernel) => kernel.info);
  const plan = applyRequirements(resolved.planned, kernels);
  const groups = groupByGuest(plan);
  const runnable = groups.reduce((sum, group) => sum + group.cases.length, 0);
  const workers = options.workers === 'auto' ? chooseWorkers(groups.map((group) => group.spec), runnable) : { workers: options.workers, reason: 'from --workers' };

  const { runId, dir: runDir } = await openRunDir(options.output);
  const workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'memharness-run-'));
  const reporter = createReporters(options.reporters, { outputDir: runDir, stdout, isTTY: Boolean(stdout.isTTY) });
  const tracker = new FailureTracker(options.retries);
  const cases: CaseResult[] = [];
  const errors: RunError[] = [];
  // Every run error is the run's (results.json keeps them) and is told to the reporters at once.
  const reportError = async (error: RunError) => {
    errors.push(error);
    await reporter.onError(error);
  };

  let dispatcher: Dispatcher | null = null;
  // Every QEMU of this process belongs to this run: kill them all, including a guest still
  // booting (no pool holds it yet, and its boot would otherwise wait out its SSH deadline).
  const watcher = new SigIntWatcher(() => {
    dispatcher?.stop();
    killAllChildGroups();
  });
  dispatcher = new Dispatcher({
    groups,
    total: whole.length,
    workers: workers.workers,
    maxFailures: options.maxFailures ?? 0,
    kernels,
    accel: options.accel,
    runDir,
    workDir,
    reporter,
    tracker,
    progress,
    signal: watcher.signal,
    bootTimeoutMs: options.bootTimeoutMs,
    noSnapshot: options.noSnapshot,
    onResult: (result) => cases.push(result),
  });

  const run: RunResult = {
    ...runHead(runId),
    kernels: kernelInfos,
    ...(options.shard ? { shard: options.shard } : {}),
    suites: await suiteFiles(loaded.suites),
    workers: workers.workers,
    errors,
    cases,
  };
  if (workers.workers > 1 || options.workers === 'auto') progress.info(`memharness: ${workers.workers} worker(s) (${workers.reason})`);
  try {
    let prepareError: RunError | null = null;
    try {
      const prepared = await dispatcher.prepareFirst();
      if (prepared) {
        run.qemu = prepared.qemuVersion;
        run.accelerator = { accel: prepared.accel.accel, reason: prepared.accel.reason };
      }
    } catch (error) {
      // The cases of the first group will report it as infra-error when they ask for a guest.
      prepareError = { message: `preparing the guest failed: ${error instanceof Error ? error.message : String(error)}` };
    }
    await reporter.onBegin({ ...run, cases: [], errors: [] }, { total: plan.length, kernels: kernelInfos });
    if (prepareError) await reportError(prepareError);
    for (const entry of plan) {
      if (entry.skipReason === undefined || watcher.interrupted) continue;
      const kernelInfo = kernelOf(kernels, entry).info;
      const test = plannedReporterCase(entry, kernelInfo, whole.length);
      await reporter.onCaseBegin(test);
      const result = skippedCaseResult(entry.case, kernelInfo, entry.repeatIndex, entry.skipReason);
      cases.push(result);
      await reporter.onCaseEnd(test, result);
    }
    if (!watcher.interrupted) {
      try {
        await dispatcher.run();
      } catch (error) {
        await reportError({ message: `the run stopped: ${error instanceof Error ? error.message : String(error)}` });
      }
    }
  } finally {
    dispatcher.stop();
    await dispatcher.closeAll();
    if (dispatcher.stopReason) run.stopReason = dispatcher.stopReason;
    run.interrupted = watcher.interrupted;
    run.complete = !watcher.interrupted && errors.length === 0;
    run.endedAt = new Date().toISOString();
    await reporter.onEnd(run);
    watcher.disarm();
    if (!process.env.MEMHARNESS_KEEP_RUN_DIR) await fs.rm(workDir, { recursive: true, force: true }).catch(() => undefined);
  }
  for (const timing of dispatcher.timings) progress.info(formatTimings(timing));
  const exitCode = exitCodeForRun(run, { runErrors: errors.length + reporter.failures.length, noWorkGiven: planned.length === 0 && whole.length > 0 });
  return { exitCode, run, runDir, timings: dispatcher.timings, selected };
}

/** The run directory: --output as given, else a new results/<run-id>/. */
async function openRunDir(output: string | undefined): Promise<{ runId: string; dir: string }> {
  const opened = output ? { runId: newRunId(), dir: path.resolve(output) } : await createRunDir();
  await fs.mkdir(opened.dir, { recursive: true });
  return opened;
}

/** What every run's results start with: who ran it, where, when; nothing run yet. */
function runHead(runId: string): Omit<RunResult, 'kernels' | 'suites' | 'cases'> {
  return {
    schemaVersion: 1,
    runId,
    harnessVersion: harnessVersion(),
    startedAt: new Date().toISOString(),
    endedAt: null,
    complete: false,
    interrupted: false,
    host: { hostname: os.hostname(), cpus: os.cpus().length, memoryMiB: Math.round(os.totalmem() / 1024 ** 2), kernel: os.release() },
    qemu: 'unknown',
    accelerator: { accel: 'tcg', reason: 'no case needed a guest' },
  };
}

/**
 * A run that stopped at its suites' problems, through the reporters: each problem a run error
 * with its file:line:col, no kernel resolved, no case run, `complete: false`, exit 2.
 */
async function reportLoadProblems(options: RunSuitesOptions, suites: readonly LoadedSuite[], problems: readonly SuiteProblem[], stdout: TextSink & { isTTY?: boolean }): Promise<RunSuitesOutcome> {
  const { runId, dir: runDir } = await openRunDir(options.output);
  const reporter = createReporters(options.reporters, { outputDir: runDir, stdout, isTTY: Boolean(stdout.isTTY) });
  const errors: RunError[] = [];
  const run: RunResult = {
    ...runHead(runId),
    accelerator: { accel: 'tcg', reason: `nothing ran: ${problems.length} problem(s) in the suites` },
    kernels: [],
    ...(options.shard ? { shard: options.shard } : {}),
    suites: await suiteFiles(suites),
    errors,
    cases: [],
  };
  await reporter.onBegin({ ...run, errors: [] }, { total: 0, kernels: [] });
  for (const problem of problems) {
    const error: RunError = { message: problem.message, location: formatLocation(problem) };
    errors.push(error);
    await reporter.onError(error);
  }
  run.endedAt = new Date().toISOString();
  await reporter.onEnd(run);
  process.stderr.write(`memharness: the problems are in the run's reports too: ${runDir}\n`);
  return { exitCode: EXIT_INFRA, run, runDir, timings: [], selected: [] };
}

/**
 * Resolves (downloads, prepares) the kernels the shard's work uses, in --kernel order, and
 * points each work item at its kernel in that list: a shard never downloads a kernel it
 * has no case for.
 */
async function resolveRunKernels(refs: ReadonlyArray<string | undefined>, planned: readonly PlannedCase[], progress: Progress): Promise<{ kernels: RunKernel[]; planned: PlannedCase[] }> {
  const used = [...new Set(planned.map((entry) => entry.kernelIndex))].sort((a, b) => a - b);
  const kernels: RunKernel[] = [];
  for (const index of used) {
    const ref = refs[index];
    const kernel = await resolveKernel(ref, { cacheDir: defaultCacheDir(), progress });
    kernels.push({ ref, info: kernelInfoOf(kernel), facts: await kernelFactsOf(kernel) });
  }
  return { kernels, planned: planned.map((entry) => ({ ...entry, kernelIndex: used.indexOf(entry.kernelIndex) })) };
}

export function kernelInfoOf(kernel: PreparedKernel): KernelInfo {
  const source = kernel.source;
  return {
    id: kernel.id,
    release: kernel.release,
    ...(source.kind === 'debian' ? { debianPackage: source.package, debianVersion: source.debianVersion, upstreamVersion: source.upstreamVersion } : {}),
  };
}

async function suiteFiles(suites: readonly LoadedSuite[]): Promise<SuiteFileInfo[]> {
  return Promise.all(suites.map(async (suite) => ({ path: suite.info.file, sha256: createHash('sha256').update(await fs.readFile(suite.info.file)).digest('hex') })));
}

function formatTimings(timing: GroupTimings): string {
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const avg = (values: number[]) => (values.length ? s(values.reduce((a, b) => a + b, 0) / values.length) : 'n/a');
  const memory = [...timing.privateKiB].sort((a, b) => a - b);
  const medianMiB = memory.length ? `; private memory per guest ${Math.round(memory[Math.floor(memory.length / 2)]! / 1024)} MiB (median)` : '';
  return `timings ${timing.group}: ${timing.cases} case(s); boot ${timing.boots.map(s).join(', ') || 'none'}; snapshot save ${timing.saveMs === null ? 'none' : `${s(timing.saveMs)} (${timing.snapshotKind ?? 'copy'})`}; restores ${timing.restores.length} (avg ${avg(timing.restores)})${medianMiB}${timing.fallbacks.length ? `; fallbacks: ${timing.fallbacks.join(' | ')}` : ''}`;
}
