import { HelperGoneError, HelperSession } from '../guest-helper/helper-session.ts';
import type { SigbusInfo } from '../guest-helper/helper-messages.ts';
import type { InjectionRecord } from '../inject/injection.ts';
import type { LocatedEvent } from '../kernel-log/events/parse-event.ts';
import { observeBetweenMarks, type Observation } from '../kernel-log/observe.ts';
import { startGuestKmsgReader } from '../kernel-log/reader/guest-kmsg-reader.ts';
import type { KmsgMark, KmsgReader } from '../kernel-log/reader/kmsg-reader.ts';
import type { AttemptResult, CaseArtifacts, CaseResult, ExpectationRecord, KernelInfo, StepRecord } from '../results/run-result.ts';

export type { ExpectationRecord, StepRecord } from '../results/run-result.ts';
import { diffSnapshots, type StateDiff } from '../state/state-diff.ts';
import { takeSnapshot, type StateSnapshot } from '../state/state-snapshot.ts';
import { conditionHolds, kernelFacts, MUST_SUCCEED, type KernelFacts, type RefValues, type Step, type SuiteCase } from '../suite/index.ts';
import { formatLocation } from '../suite/problems.ts';
import type { Guest } from '../vm/guest.ts';
import type { ConsoleLine } from '../vm/serial-console.ts';
import { saveCaseLogs } from './artifacts.ts';
import { guestRunner, refValuesOf, snapshotOptions, type CaseContext, type ObservedSigbus } from './case-context.ts';
import type { CaseObservations, TargetAfter } from './expectations/evaluate.ts';
import { judgeCase, type StepStop, type StepsVerdictInput } from './judge-case.ts';
import { defaultStepTimeoutMs, runStep } from './run-step.ts';
import { checkStepOutcome } from './step-outcome.ts';
import { recordPfnsAfterStep, refValuesFor } from './case-refs.ts';
import { endBackgroundPrograms, ProgramTimeoutError, StepFailedError } from './steps/program-step.ts';
import { expectationReferences, outcomeReferences } from '../suite/case-references.ts';
import { removeCaseCgroups } from './steps/cgroup-step.ts';
import type { StepResult } from './step-result.ts';
import { stepOutputOf } from './step-output.ts';
import { isTimeout } from '../util/timeout-error.ts';
import { errorText, formatMs, withDeadline } from './step-errors.ts';
import type { Problem } from './verdict.ts';

export interface ExecuteCaseOptions {
  guest: Guest;
  case: SuiteCase;
  kernel: KernelInfo;
  attempt: number;
  isolation: 'restore' | 'boot';
  /** Where console.log and dmesg.txt of this case go. */
  artifactsDir: string;
  /** Artifact paths are returned relative to this (the run directory); default artifactsDir. */
  runDir?: string;
  /** The kernel's facts (for `when:`); by default derived from `kernel` (version only). */
  facts?: KernelFacts;
  /** A kernel-log reader already running on this guest; by default one is started and stopped. */
  kmsg?: KmsgReader;
  signal?: AbortSignal;
  /**
   * The caller ends the guest right after this attempt (the runner's guests serve one attempt
   * each): the helper and the reader are left to die with it rather than closed over SSH,
   * which cost about 0.5 s a case under TCG.
   */
  disposable?: boolean;
}

/** What happened at each step, for reports and debugging. */

export type CaseEvent = CaseResult['events'][number];

export interface ExecutedCase extends AttemptResult {
  events: CaseEvent[];
  stateDiff: StateDiff | undefined;
  injections: InjectionRecord[];
  artifacts: CaseArtifacts;
  steps: StepRecord[];
  /** Every expectation item and what became of it (not run when the steps stopped the case). */
  checks: ExpectationRecord[];
}


/**
 * Runs one expanded case on a booted guest, in phases with typed hand-offs:
 * set up (kernel-log reader, start mark, helper, the before snapshot) → run the steps →
 * collect (is the guest alive, end mark, after snapshot, targets, the kernel log observed)
 * → judge (pure: judge-case.ts) → tear down (helper, reader, artifacts).
 * Requirements (SKIP) are the caller's: a case given here is run.
 */
export async function executeCase(options: ExecuteCaseOptions): Promise<ExecutedCase> {
  const started = Date.now();
  const facts = options.facts ?? kernelFacts({ release: options.kernel.release, upstreamVersion: options.kernel.upstreamVersion ?? null });
  const setup = await setUp(options, facts);
  const ran = setup.context && !setup.stop ? await runSteps(setup.context, options, started + options.case.timeoutMs) : { records: [], verdictInput: { stop: setup.stop, checks: [], problems: [], unexpectedPasses: [] } };
  const collected = await collect(setup, ran.verdictInput.stop, options);
  const judgement = judgeCase({
    testCase: options.case,
    facts,
    steps: ran.verdictInput,
    observations: collected.observations,
    alive: collected.alive,
    consoleTail: () => options.guest.machine.console.tailText(60),
  });
  const artifacts = await tearDown(setup, collected, options);
  const { checks, crashes, ...verdict } = judgement;
  return {
    attempt: options.attempt,
    isolation: options.isolation,
    durationMs: Date.now() - started,
    ...verdict,
    ...(crashes.length > 0 ? { crashes } : {}),
    ...(collected.observation.lostRecords > 0 ? { lostLogRecords: collected.observation.lostRecords } : {}),
    events: collected.observation.events.map(caseEventOf),
    stateDiff: collected.observations.stateDiff ?? undefined,
    injections: setup.context?.injections ?? [],
    artifacts,
    steps: ran.records,
    checks,
  };
}

/** What set-up hands on: the step context when everything started, else why not. */
interface CaseSetup {
  kmsg: KmsgReader | undefined;
  /** The reader was started here (and is stopped at tear-down). */
  ownKmsg: boolean;
  startMark: KmsgMark;
  /** Console lines from here on are the case's. */
  consoleFromMs: number;
  helper: HelperSession | undefined;
  context: CaseContext | undefined;
  /** Early-kill SIGBUS events the helper sent between replies. */
  asyncSignals: ObservedSigbus[];
  onHelperEvent: (event: { event: string; [key: string]: unknown }) => void;
  stop: StepStop | null;
}

/** The kernel-log reader, a start mark, the helper, the before snapshot. Failures here are the harness's. */
async function setUp(options: ExecuteCaseOptions, facts: KernelFacts): Promise<CaseSetup> {
  const { guest, case: testCase } = options;
  const infra = (message: string): StepStop => ({ kind: 'infra', failure: { message, location: formatLocation(testCase.location) } });
  const asyncSignals: ObservedSigbus[] = [];
  const setup: CaseSetup = {
    kmsg: options.kmsg,
    ownKmsg: !options.kmsg,
    startMark: { afterSeq: -1 },
    consoleFromMs: Date.now() - guest.machine.startedAt,
    helper: undefined,
    context: undefined,
    asyncSignals,
    onHelperEvent: (event) => {
      if (event.event === 'sigbus') asyncSignals.push({ ...(event as unknown as SigbusInfo), async: true, step: null });
    },
    stop: null,
  };
  // The reader and the helper start side by side (two SSH channels, ~0.1 s each under TCG);
  // the start mark needs the reader.
  const [reader, helper] = await Promise.allSettled([setup.kmsg ? Promise.resolve(setup.kmsg) : startGuestKmsgReader(guest), HelperSession.start(guest.ssh)]);
  if (helper.status === 'fulfilled') {
    setup.helper = helper.value;
    setup.helper.on('event', setup.onHelperEvent);
  }
  if (reader.status === 'rejected') return { ...setup, stop: infra(`cannot read the guest's kernel log: ${errorText(reader.reason)}`) };
  const kmsg = reader.value;
  setup.kmsg = kmsg;
  setup.startMark = kmsg.mark();
  try {
    setup.startMark = await kmsg.markInKernelLog(`case-start:${testCase.key}`);
  } catch (error) {
    return { ...setup, stop: infra(`cannot write a mark into the guest's kernel log: ${errorText(error)}`) };
  }
  if (!setup.helper) return { ...setup, stop: infra(`the guest helper could not start: ${errorText(helper.status === 'rejected' ? helper.reason : 'unknown')}`) };
  const context: CaseContext = { guest, testCase, facts, helper: setup.helper, kmsg, startMark: setup.startMark, targets: new Map(), fillSeeds: new Map(), sigbus: [], injections: [], before: null, signal: options.signal };
  setup.context = context;
  // Without an inject or snapshot step there is no natural "before": take it at the start.
  if (!testCase.steps.some((step) => step.action.kind === 'inject' || step.action.kind === 'snapshot')) {
    try {
      context.before = await takeSnapshot(guestRunner(guest), snapshotOptions(context));
    } catch (error) {
      setup.stop = infra(`the before snapshot failed: ${errorText(error)}`);
    }
  }
  return setup;
}

/** The steps in order, each under its own and the case's deadline, until one stops the case. */
async function runSteps(context: CaseContext, options: ExecuteCaseOptions, deadline: number): Promise<{ records: StepRecord[]; verdictInput: StepsVerdictInput }> {
  const records: StepRecord[] = [];
  const checks: ExpectationRecord[] = [];
  const problems: Problem[] = [];
  const unexpectedPasses: string[] = [];
  let stop: StepStop | null = null;
  for (const step of options.case.steps) {
    if (options.signal?.aborted) {
      stop = { kind: 'infra', failure: { message: 'interrupted', location: formatLocation(step.location) } };
      break;
    }
    if (!conditionHolds(step.when, context.facts)) {
      records.push({ index: step.index, kind: step.action.kind, location: formatLocation(step.location), status: 'skipped', summary: 'its when: does not hold (on this kernel, or for this combination of parameters)', durationMs: 0 });
      continue;
    }
    const run = await runOneStep(context, step, deadline, options.case.timeoutMs, options.signal);
    records.push(run.record);
    checks.push(...run.checks);
    problems.push(...run.problems);
    unexpectedPasses.push(...run.unexpectedPasses);
    stop = run.stop;
    if (stop) break;
  }
  // Background programs end with the steps: each is stopped if it still runs, its end goes
  // into its step's record, and its step's `expect:` is checked now (unless the case stopped).
  const guestAlive = () => context.guest.machine.isRunning && stop?.kind !== 'died';
  for (const { run, result } of await endBackgroundPrograms(context, guestAlive)) {
    const at = records.findIndex((record) => record.index === run.step.index);
    if (at >= 0) records[at] = { ...records[at]!, ...stepOutputOf(result), summary: `${records[at]!.summary}; ${result.summary}` };
    if (stop) continue;
    const judged = await judgeStepResult(context, run.step, result);
    checks.push(...judged.checks);
    problems.push(...judged.problems);
    unexpectedPasses.push(...judged.unexpectedPasses);
    if (judged.stop) {
      stop = judged.stop;
      if (at >= 0) records[at]!.status = 'failed';
    }
  }
  return { records, verdictInput: { stop, checks, problems, unexpectedPasses } };
}

/** What collect hands to the judge and to tear-down. */
interface Collected {
  alive: boolean;
  observation: Observation;
  observations: CaseObservations;
  consoleLines: readonly ConsoleLine[];
}

/**
 * After the steps: whether the guest lives; while it does, the end mark, the after snapshot
 * and the targets' state; then the case's kernel log between the marks, observed once.
 */
async function collect(setup: CaseSetup, stop: StepStop | null, options: ExecuteCaseOptions): Promise<Collected> {
  const { guest, case: testCase } = options;
  const { context, kmsg } = setup;
  let alive = guest.machine.isRunning && stop?.kind !== 'died';
  if (alive && stop?.kind === 'infra' && (await guest.diesWithin(3_000))) alive = false;

  let endMark: KmsgMark | null = null;
  let before: StateSnapshot | null = null;
  let after: StateSnapshot | null = null;
  let stateDiff: StateDiff | null = null;
  let stateProblem: string | undefined;
  let blockSize: number | null = null;
  const targetsAfter = new Map<string, TargetAfter>();
  let expectationRefs: RefValues | null = null;
  if (alive && context && kmsg) {
    before = context.before;
    try {
      // Side by side: the after snapshot reads /proc and /sys, which the end mark's place in the log does not depend on.
      const [mark, snapshot] = await Promise.all([kmsg.markInKernelLog(`case-end:${testCase.key}`), before ? takeSnapshot(guestRunner(guest), snapshotOptions(context)) : Promise.resolve(null)]);
      endMark = mark;
      after = snapshot;
      if (before && after) {
        stateDiff = diffSnapshots(before, after);
        const size = after.blockSizeBytes;
        blockSize = size.available ? size.value : null;
      } else stateProblem = 'no before snapshot was taken (the case stopped before its first inject)';
    } catch (error) {
      stateProblem = `the after snapshot failed: ${errorText(error)}`;
    }
    await probeTargets(context, testCase, targetsAfter);
    // `$t0.now` in expectations: the page mapped when the steps are done.
    expectationRefs = await refValuesFor(context, expectationReferences(testCase.expectations)).catch(() => null);
  } else if (!alive) {
    stateProblem = 'the guest died';
    if (context) for (const [name, target] of context.targets) targetsAfter.set(name, { pfnBefore: target.page.pfn, pfnAfter: null, intact: null, problem: 'the guest died' });
  }

  // The case's window: kmsg from the start mark through the end mark (the target probes after
  // it are not the case's), and the console, the only record after a panic.
  const consoleLines = guest.machine.console.lines().filter((line) => line.atMs >= setup.consoleFromMs);
  const slice = kmsg ? kmsg.since(setup.startMark) : { records: [], losses: [] };
  const observation = observeBetweenMarks({ slice, start: setup.startMark, end: endMark, console: consoleLines, alive, logPath: guest.consoleLogPath });

  const helperEnd = setup.helper?.ended ?? null;
  setup.helper?.off('event', setup.onHelperEvent);
  if (context) context.sigbus.push(...setup.asyncSignals);
  const observations: CaseObservations = {
    events: observation.events,
    before,
    after,
    stateDiff,
    sigbus: context?.sigbus ?? setup.asyncSignals,
    helperEnd: alive ? helperEnd : (helperEnd ?? { exitCode: null, signal: null, stderr: 'the guest died' }),
    targets: targetsAfter,
    crashes: observation.crashes,
    lostRecords: observation.lostRecords,
    refs: expectationRefs ?? (context ? refValuesOf(context) : { target: () => undefined }),
    blockOfTarget: (name) => {
      const target = context?.targets.get(name);
      return target && blockSize ? `memory${(target.page.pfn * 4096n) / BigInt(blockSize)}` : undefined;
    },
    ...(stateProblem ? { stateProblem } : {}),
  };
  return { alive, observation, observations, consoleLines };
}

/** The helper and the reader closed, the case's console and kernel log saved. */
async function tearDown(setup: CaseSetup, collected: Collected, options: ExecuteCaseOptions): Promise<CaseArtifacts> {
  // Bounded: a guest wedged by the case (an oops holding a lock) never closes the helper's
  // channel, and the verdict must not wait for it (the guest is released after the attempt).
  if (!options.disposable) {
    // A guest that lives on gets its cgroup tree back as it was: processes to the root, groups removed.
    if (collected.alive && setup.context?.cgroups?.size) await withDeadline(removeCaseCgroups(options.guest, setup.context), 35_000).catch(() => undefined);
    if (collected.alive && setup.helper && !setup.helper.ended) await withDeadline(setup.helper.close(), 15_000).catch(() => undefined);
    if (setup.ownKmsg) await setup.kmsg?.stop().catch(() => undefined);
  }
  try {
    const kernelLines = collected.observation.lines.filter((record) => record.source === 'kmsg' || record.kernelTimeUs !== undefined);
    return await saveCaseLogs({ artifactsDir: options.artifactsDir, relativeTo: options.runDir, console: collected.consoleLines, kmsg: kernelLines });
  } catch {
    // Artifacts are a convenience; the verdict stands without them.
    return {};
  }
}

function caseEventOf({ event, record }: LocatedEvent): CaseEvent {
  const { type, ...fields } = event as unknown as { type: string; [key: string]: unknown };
  return { ...fields, type, text: record.text, ...(record.hostMs !== undefined ? { atMs: record.hostMs } : {}) };
}

/** One step's run: its record, its `expect:` items, and whether it stops the case. */
interface StepRun {
  record: StepRecord;
  stop: StepStop | null;
  checks: ExpectationRecord[];
  problems: Problem[];
  unexpectedPasses: string[];
}

async function runOneStep(context: CaseContext, step: Step, deadline: number, caseTimeoutMs: number, signal: AbortSignal | undefined): Promise<StepRun> {
  const stepStarted = Date.now();
  const checks: ExpectationRecord[] = [];
  const problems: Problem[] = [];
  const unexpectedPasses: string[] = [];
  let record!: StepRecord;
  const recordAs = (status: StepRecord['status'], summary: string, result?: StepResult): void => {
    record = { index: step.index, kind: step.action.kind, location: formatLocation(step.location), status, summary, durationMs: Date.now() - stepStarted, ...(result ? stepOutputOf(result) : {}) };
  };
  const ending = (stop: StepStop | null): StepRun => ({ record, stop, checks, problems, unexpectedPasses });
  const { guest } = context;
  const where = formatLocation(step.location);
  const mustSucceed = MUST_SUCCEED.includes(step.action.kind);
  const remaining = deadline - Date.now();
  const own = step.timeoutMs ?? defaultStepTimeoutMs(step);
  const caseBound = remaining < own;
  const timeoutMs = Math.max(0, Math.min(own, remaining));
  const kernelStop = (message: string, expected?: unknown, actual?: unknown): StepStop => ({
    kind: 'kernel',
    failure: { message, expectation: step.text, location: where, ...(expected !== undefined ? { expected } : {}), ...(actual !== undefined ? { actual } : {}) },
  });
  let result: StepResult;
  try {
    // A wait and a program end themselves at their deadline (a program is stopped, its output kept): theirs must win.
    result = await withDeadline(runStep(context, step, timeoutMs), timeoutMs + (step.action.kind === 'wait' ? 1_000 : step.action.kind === 'program' ? 10_000 : 0), signal);
  } catch (error) {
    if (isTimeout(error, 'step')) {
      const program = error instanceof ProgramTimeoutError ? error : null;
      recordAs('failed', program ? program.message : `timed out after ${formatMs(timeoutMs)}`, program?.partial);
      if (!guest.machine.isRunning || (await guest.diesWithin(2_000))) return ending({ kind: 'died', failure: { message: `the guest died during step ${step.action.kind}`, location: where } });
      if (program && !caseBound) return ending(kernelStop(`${where}: ${program.message}`, { withinMs: timeoutMs }, 'still running'));
      return ending(kernelStop(
        caseBound
          ? `the case did not finish within its timeout of ${formatMs(caseTimeoutMs)}: step ${step.action.kind} at ${where} was still running`
          : `step ${step.action.kind} at ${where} did not finish within ${formatMs(timeoutMs)}`,
        { withinMs: timeoutMs },
        'still running',
      ));
    }
    if (isTimeout(error, 'kernel-event')) {
      recordAs('failed', error.message);
      return ending(kernelStop(`${where}: ${error.message}`, step.text, 'no such event'));
    }
    if (signal?.aborted) {
      recordAs('failed', 'interrupted');
      return ending({ kind: 'infra', failure: { message: 'interrupted', location: where } });
    }
    if (!guest.machine.isRunning || (await guest.diesWithin(5_000))) {
      recordAs('failed', `the guest died: ${errorText(error)}`);
      return ending({ kind: 'died', failure: { message: `the guest died during step ${step.action.kind} at ${where}`, location: where } });
    }
    if (error instanceof StepFailedError) {
      recordAs('failed', error.message, error.partial);
      return ending(kernelStop(`${where}: ${error.message}`));
    }
    if (error instanceof HelperGoneError && !mustSucceed) {
      // The kernel killed the owner (e.g. SIGBUS without a handler): a result, checked by `helper:`.
      result = { ok: false, summary: error.message };
    } else {
      recordAs('failed', errorText(error));
      const what = mustSucceed ? `set-up step ${step.action.kind} failed` : `step ${step.action.kind} could not be carried out`;
      return ending({ kind: 'infra', failure: { message: `${where}: ${what}: ${errorText(error)}`, expectation: step.text, location: where } });
    }
  }
  // `$t0@ID`: the PFNs the case reads after this step, read before anything else happens.
  await recordPfnsAfterStep(context, step).catch(() => undefined);
  if (result.deferred) {
    // A background program: its outcome is checked when it ends (endBackgroundPrograms).
    recordAs('done', result.summary, result);
    return ending(null);
  }
  const judged = await judgeStepResult(context, step, result);
  checks.push(...judged.checks);
  problems.push(...judged.problems);
  unexpectedPasses.push(...judged.unexpectedPasses);
  recordAs(judged.stop ? 'failed' : 'done', result.summary, result);
  return ending(judged.stop);
}

/** A step's result against its `expect:` items: the records of the items, and a stop when one failed. */
async function judgeStepResult(context: CaseContext, step: Step, result: StepResult): Promise<Omit<StepRun, 'record'>> {
  const where = formatLocation(step.location);
  const refs = await refValuesFor(context, outcomeReferences(step.expect)).catch(() => refValuesOf(context));
  const check = checkStepOutcome(step, result, context.facts, refs);
  const checks: ExpectationRecord[] = check.items.map((item) => ({ location: `${where} expect[${item.index}]`, text: `${step.action.kind}: ${item.text}`, status: item.status, xfail: item.xfail, ...(item.message ? { message: item.message } : {}) }));
  const unexpectedPasses = check.unexpectedPasses.map((text) => `${where}: ${text}`);
  const real = check.mismatches.filter((mismatch) => !mismatch.xfail);
  const problems: Problem[] = check.mismatches.filter((m) => m.xfail).map((mismatch) => ({ message: `${where}: ${mismatch.message}`, location: where, xfail: true }));
  if (real.length === 0) return { stop: null, checks, problems, unexpectedPasses };
  const first = real[0]!;
  const stop: StepStop = {
    kind: 'kernel',
    failure: { message: `${where}: step ${step.action.kind}: ${real.map((m) => m.message).join('; ')}`, expectation: step.text, location: where, ...(first.expected !== undefined ? { expected: first.expected } : {}), ...(first.actual !== undefined ? { actual: first.actual } : {}) },
  };
  return { stop, checks, problems, unexpectedPasses };
}

/** Reads the targets named by `target:` expectations: their PFN now and their data. */
async function probeTargets(context: CaseContext, testCase: SuiteCase, out: Map<string, TargetAfter>): Promise<void> {
  // Only expectations that apply here: reading a target touches the guest (its pagemap), which
  // a combination or kernel the item is not for must not pay for.
  const wanted = new Set(testCase.expectations.flatMap((e) => (e.check.kind === 'target' && conditionHolds(e.when, context.facts) ? [e.check.target] : [])));
  for (const [name, target] of context.targets) {
    const entry: TargetAfter = { pfnBefore: target.page.pfn, pfnAfter: null, intact: null };
    out.set(name, entry);
    if (!wanted.has(name) || !target.page.owner) {
      if (wanted.has(name)) entry.problem = `a ${target.page.kind} page has no owner to read it`;
      continue;
    }
    try {
      const pages = await context.helper.pages(target.page.owner.name);
      const page = pages.pages[target.page.owner.index];
      entry.pfnAfter = page?.pfn ? BigInt(page.pfn) : null;
      const seed = context.fillSeeds.get(name);
      if (seed !== undefined) {
        const verify = await context.helper.verify(target.page.owner.name, seed);
        entry.intact = verify.sigbus ? false : verify.intact;
      }
    } catch (error) {
      entry.problem = errorText(error);
    }
  }
}
