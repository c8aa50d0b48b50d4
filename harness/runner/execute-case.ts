import { HelperGoneError, HelperSession } from '../guest-helper/helper-session.ts';
import type { SigbusInfo } from '../guest-helper/helper-messages.ts';
import type { InjectionRecord } from '../inject/injection.ts';
import { parseCrashes } from '../kernel-log/crash/parse-crashes.ts';
import type { CrashReport } from '../kernel-log/crash/crash-report.ts';
import { kernelEvents, type LocatedEvent } from '../kernel-log/events/parse-event.ts';
import { KMSG_MARK_PREFIX } from '../kernel-log/reader/kmsg-command.ts';
import { startGuestKmsgReader } from '../kernel-log/reader/guest-kmsg-reader.ts';
import type { KmsgReader } from '../kernel-log/reader/kmsg-reader.ts';
import { parseConsoleLine } from '../kernel-log/records/console-record.ts';
import type { LogRecord } from '../kernel-log/records/log-record.ts';
import type { AttemptResult, CaseArtifacts, CaseResult, CrashInfo, ExpectationRecord, FailureInfo, KernelInfo, StepRecord } from '../results/run-result.ts';

export type { ExpectationRecord, StepRecord } from '../results/run-result.ts';
import { diffSnapshots, type StateDiff } from '../state/state-diff.ts';
import { takeSnapshot, type StateSnapshot } from '../state/state-snapshot.ts';
import { conditionHolds, kernelFacts, MUST_SUCCEED, type KernelFacts, type Step, type SuiteCase } from '../suite/index.ts';
import { formatLocation } from '../suite/problems.ts';
import type { Guest } from '../vm/guest.ts';
import { saveCaseLogs } from './artifacts.ts';
import { guestRunner, refValuesOf, targetPfns, type CaseContext } from './case-context.ts';
import { evaluateExpectation, type CaseObservations, type TargetAfter } from './expectations/evaluate.ts';
import { checkNoNewTaint } from './implicit-checks.ts';
import { defaultStepTimeoutMs, runStep } from './run-step.ts';
import { checkStepOutcome } from './step-outcome.ts';
import type { StepResult } from './step-result.ts';
import { stepOutputOf } from './step-output.ts';
import { errorText, formatMs, StepTimeoutError, withDeadline } from './step-errors.ts';
import { WaitTimedOut } from './steps/wait-step.ts';
import { decideVerdict, type Problem } from './verdict.ts';

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


interface StepStop {
  kind: 'infra' | 'kernel' | 'died';
  failure: FailureInfo;
}

/**
 * Runs one expanded case on a booted guest: the steps in order (each under its own and the
 * case's deadline), then every expectation that applies to this kernel, the implicit
 * no-crash / no-new-taint checks, and the xfail rules, into one attempt's verdict.
 * Requirements (SKIP) are the caller's: a case given here is run.
 */
export async function executeCase(options: ExecuteCaseOptions): Promise<ExecutedCase> {
  const { guest, case: testCase } = options;
  const started = Date.now();
  const deadline = started + testCase.timeoutMs;
  const consoleFromMs = Date.now() - guest.machine.startedAt;
  const facts = options.facts ?? kernelFacts({ release: options.kernel.release, upstreamVersion: options.kernel.upstreamVersion ?? null });
  const steps: StepRecord[] = [];
  const problems: Problem[] = [];
  const unexpectedPasses: string[] = [];
  const checks: ExpectationRecord[] = [];
  let stop: StepStop | null = null;
  let kmsg: KmsgReader | undefined = options.kmsg;
  const ownKmsg = !kmsg;
  let context: CaseContext | undefined;
  let helper: HelperSession | undefined;
  const asyncSignals: Array<SigbusInfo & { async: boolean; step: null }> = [];
  const onHelperEvent = (event: { event: string; [key: string]: unknown }) => {
    if (event.event === 'sigbus') asyncSignals.push({ ...(event as unknown as SigbusInfo), async: true, step: null });
  };
  let stateDiff: StateDiff | undefined;
  let before: StateSnapshot | null = null;
  let after: StateSnapshot | null = null;
  let stateProblem: string | undefined;
  const targetsAfter = new Map<string, TargetAfter>();
  let blockSize: number | null = null;
  let endMark: { afterSeq: number } | null = null;

  const infra = (message: string, location = testCase.location): StepStop => ({ kind: 'infra', failure: { message, location: formatLocation(location) } });

  // Set-up: the kernel-log reader, a mark, the helper. Failures here are the harness's.
  try {
    kmsg ??= await startGuestKmsgReader(guest);
  } catch (error) {
    stop = infra(`cannot read the guest's kernel log: ${errorText(error)}`);
  }
  let startMark = kmsg ? kmsg.mark() : { afterSeq: -1 };
  if (!stop && kmsg) {
    try {
      startMark = await kmsg.markInKernelLog(`case-start:${testCase.key}`);
    } catch (error) {
      stop = infra(`cannot write a mark into the guest's kernel log: ${errorText(error)}`);
    }
  }
  if (!stop) {
    try {
      helper = await HelperSession.start(guest.ssh);
      helper.on('event', onHelperEvent);
    } catch (error) {
      stop = infra(`the guest helper could not start: ${errorText(error)}`);
    }
  }
  if (helper && kmsg) {
    context = { guest, testCase, facts, helper, kmsg, startMark, targets: new Map(), fillSeeds: new Map(), sigbus: [], injections: [], before: null, signal: options.signal };
    // Without an inject or snapshot step there is no natural "before": take it at the start.
    if (!testCase.steps.some((step) => step.action.kind === 'inject' || step.action.kind === 'snapshot')) {
      try {
        context.before = await takeSnapshot(guestRunner(guest), {});
      } catch (error) {
        stop = infra(`the before snapshot failed: ${errorText(error)}`);
      }
    }
  }

  // The steps.
  if (context && !stop) {
    for (const step of testCase.steps) {
      const stepStarted = Date.now();
      const record = (status: StepRecord['status'], summary: string, result?: StepResult) =>
        steps.push({ index: step.index, kind: step.action.kind, location: formatLocation(step.location), status, summary, durationMs: Date.now() - stepStarted, ...(result ? stepOutputOf(result) : {}) });
      if (options.signal?.aborted) {
        stop = infra('interrupted', step.location);
        break;
      }
      if (!conditionHolds(step.when, facts)) {
        record('skipped', 'its when: does not hold (on this kernel, or for this combination of parameters)');
        continue;
      }
      stop = await runOneStep(context, step, deadline, testCase.timeoutMs, options.signal, record, problems, unexpectedPasses, checks);
      if (stop) break;
    }
  }

  // Is the guest still there?
  let alive = guest.machine.isRunning && stop?.kind !== 'died';
  if (alive && stop?.kind === 'infra' && (await guest.diesWithin(3_000))) alive = false;
  if (!alive) guest.markNotReusable('the guest kernel died during a case');

  // After: the end mark, the after snapshot, the targets' state, while the guest lives.
  if (alive && context && kmsg) {
    before = context.before;
    try {
      endMark = await kmsg.markInKernelLog(`case-end:${testCase.key}`);
      if (before) {
        after = await takeSnapshot(guestRunner(guest), { pfns: targetPfns(context) });
        stateDiff = diffSnapshots(before, after);
        const size = after.blockSizeBytes;
        blockSize = size.available ? size.value : null;
      } else stateProblem = 'no before snapshot was taken (the case stopped before its first inject)';
    } catch (error) {
      stateProblem = `the after snapshot failed: ${errorText(error)}`;
    }
    await probeTargets(context, testCase, targetsAfter);
  } else if (!alive) {
    stateProblem = 'the guest died';
    if (context) for (const [name, target] of context.targets) targetsAfter.set(name, { pfnBefore: target.page.pfn, pfnAfter: null, intact: null, problem: 'the guest died' });
  }

  // The case's records: kmsg between the marks, plus the console (the only record after a panic).
  const consoleLines = guest.machine.console.lines().filter((line) => line.atMs >= consoleFromMs);
  const consoleRecords: LogRecord[] = consoleLines.flatMap((line) => parseConsoleLine(line.text, line.atMs));
  // Up to the end mark: the probes after it (reading a poisoned target) are not the case's.
  const kmsgRecords = kmsg ? kmsg.since(startMark).records.filter((r) => endMark === null || (r.seq ?? 0) <= endMark.afterSeq) : [];
  const kmsgTexts = new Set(kmsgRecords.map((r) => r.text));
  const consoleOnly = consoleRecords.filter((r) => !kmsgTexts.has(r.text));
  const notMark = (r: LogRecord) => !r.text.startsWith(KMSG_MARK_PREFIX);
  const eventRecords = (alive ? kmsgRecords : [...kmsgRecords, ...consoleOnly.filter((r) => r.kernelTimeUs !== undefined)]).filter(notMark);
  const located: LocatedEvent[] = kernelEvents(eventRecords);
  const crashes: CrashReport[] = parseCrashes(alive ? [...kmsgRecords, ...consoleOnly] : consoleRecords, { logPath: guest.consoleLogPath });

  const helperEnd = helper?.ended ?? null;
  if (helper) helper.off('event', onHelperEvent);
  if (context) context.sigbus.push(...asyncSignals);

  const observations: CaseObservations = {
    events: located,
    before,
    after,
    stateDiff: stateDiff ?? null,
    sigbus: context?.sigbus ?? asyncSignals,
    helperEnd: alive ? helperEnd : (helperEnd ?? { exitCode: null, signal: null, stderr: 'the guest died' }),
    targets: targetsAfter,
    crashes,
    refs: context ? refValuesOf(context) : { target: () => undefined },
    blockOfTarget: (name) => {
      const target = context?.targets.get(name);
      return target && blockSize ? `memory${(target.page.pfn * 4096n) / BigInt(blockSize)}` : undefined;
    },
    ...(stateProblem ? { stateProblem } : {}),
  };

  // Crash: the guest died, or an oops appeared, and the case did not ask for one.
  let crash: CrashInfo | null = null;
  const expectsCrash = !testCase.implicit.noCrash;
  if ((!alive || crashes.length > 0) && !expectsCrash) {
    const first = crashes[0];
    crash = first
      ? { title: first.title, kind: first.kind, report: first.text, ...(first.taint ? { taint: first.taint.letters } : {}) }
      : { title: 'the guest died without a recognisable crash report', kind: 'unknown', report: guest.machine.console.tailText(60) };
  }

  // Expectations (only when the steps ran through, or a crash was the point).
  if (!stop || (stop.kind === 'died' && expectsCrash)) {
    for (const expectation of testCase.expectations) {
      const where = formatLocation(expectation.location);
      if (!conditionHolds(expectation.when, facts)) {
        checks.push({ location: where, text: expectation.text, status: 'not-applicable', xfail: false });
        continue;
      }
      const outcome = evaluateExpectation(expectation, observations);
      const xfail = expectation.xfail !== null && conditionHolds(expectation.xfail.when, facts);
      checks.push({ location: where, text: expectation.text, status: outcome.status, xfail, ...(outcome.status === 'passed' ? {} : { message: outcome.message }) });
      if (outcome.status === 'passed') {
        if (xfail) unexpectedPasses.push(`${where}: \`${expectation.text}\` is marked xfail (${expectation.xfail!.reason}) but passed`);
      } else if (outcome.status === 'not-available') {
        if (!expectation.ifAvailable) problems.push({ message: `not available: ${outcome.message}`, expectation: expectation.text, location: where, expected: expectation.text, actual: 'not available on this kernel', xfail });
      } else {
        problems.push({ message: outcome.message, expectation: expectation.text, expected: outcome.expected, actual: outcome.actual, location: where, xfail });
      }
    }
  } else {
    for (const expectation of testCase.expectations) checks.push({ location: formatLocation(expectation.location), text: expectation.text, status: 'not-run', xfail: false });
    if (stop.kind === 'kernel') problems.unshift({ ...stop.failure });
  }

  // Implicit: no new taint (M allowed after mce-*).
  if (alive) {
    const taint = checkNoNewTaint(stateDiff ?? null, testCase.implicit);
    if (taint) problems.push({ message: taint.message, expectation: 'implicit: no new taint', expected: { allowed: testCase.implicit.allowedNewTaint.map((f) => f.letter) }, actual: { added: taint.added }, location: formatLocation(testCase.location) });
  }

  // Clean up the helper and the reader.
  // Bounded: a guest wedged by the case (an oops holding a lock) never closes the helper's
  // channel, and the verdict must not wait for it.
  if (alive && helper && !helper.ended) {
    await withDeadline(helper.close(), 15_000).catch(() => guest.markNotReusable('the guest helper did not end within 15 s'));
  }
  if (ownKmsg) await kmsg?.stop().catch(() => undefined);

  const caseXfail = testCase.xfail && conditionHolds(testCase.xfail.when, facts) ? { reason: testCase.xfail.reason, reference: testCase.xfail.reference } : null;
  const decided = decideVerdict({
    infra: stop?.kind === 'infra' && !crash ? stop.failure : null,
    crash,
    failures: problems.filter((problem) => !problem.xfail),
    unexpectedPasses,
    caseXfail,
  });

  let artifacts: CaseArtifacts = {};
  try {
    artifacts = await saveCaseLogs({ artifactsDir: options.artifactsDir, relativeTo: options.runDir, console: consoleLines, kmsg: kmsgRecords });
  } catch {
    // Artifacts are a convenience; the verdict stands without them.
  }

  const events: CaseEvent[] = located.map(({ event, record }) => {
    const { type, ...fields } = event as unknown as { type: string; [key: string]: unknown };
    return { ...fields, type, text: record.text, ...(record.hostMs !== undefined ? { atMs: record.hostMs } : {}) };
  });
  return {
    attempt: options.attempt,
    isolation: options.isolation,
    durationMs: Date.now() - started,
    ...decided,
    events,
    stateDiff,
    injections: context?.injections ?? [],
    artifacts,
    steps,
    checks,
  };
}

async function runOneStep(
  context: CaseContext,
  step: Step,
  deadline: number,
  caseTimeoutMs: number,
  signal: AbortSignal | undefined,
  record: (status: StepRecord['status'], summary: string, result?: StepResult) => void,
  problems: Problem[],
  unexpectedPasses: string[],
  checks: ExpectationRecord[],
): Promise<StepStop | null> {
  const { guest, testCase } = context;
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
    result = await withDeadline(runStep(context, step, timeoutMs), timeoutMs + (step.action.kind === 'wait' ? 1_000 : 0), signal);
  } catch (error) {
    if (error instanceof StepTimeoutError) {
      record('failed', `timed out after ${formatMs(timeoutMs)}`);
      if (!guest.machine.isRunning || (await guest.diesWithin(2_000))) return { kind: 'died', failure: { message: `the guest died during step ${step.action.kind}`, location: where } };
      guest.markNotReusable(`step at ${where} timed out`);
      return kernelStop(
        caseBound
          ? `the case did not finish within its timeout of ${formatMs(caseTimeoutMs)}: step ${step.action.kind} at ${where} was still running`
          : `step ${step.action.kind} at ${where} did not finish within ${formatMs(timeoutMs)}`,
        { withinMs: timeoutMs },
        'still running',
      );
    }
    if (error instanceof WaitTimedOut) {
      record('failed', error.message);
      return kernelStop(`${where}: ${error.message}`, step.text, 'no such event');
    }
    if (signal?.aborted) {
      record('failed', 'interrupted');
      return { kind: 'infra', failure: { message: 'interrupted', location: where } };
    }
    if (!guest.machine.isRunning || (await guest.diesWithin(5_000))) {
      record('failed', `the guest died: ${errorText(error)}`);
      return { kind: 'died', failure: { message: `the guest died during step ${step.action.kind} at ${where}`, location: where } };
    }
    if (error instanceof HelperGoneError && !mustSucceed) {
      // The kernel killed the owner (e.g. SIGBUS without a handler): a result, checked by `helper:`.
      result = { ok: false, summary: error.message };
    } else {
      record('failed', errorText(error));
      const what = mustSucceed ? `set-up step ${step.action.kind} failed` : `step ${step.action.kind} could not be carried out`;
      return { kind: 'infra', failure: { message: `${where}: ${what}: ${errorText(error)}`, expectation: step.text, location: where } };
    }
  }
  const check = checkStepOutcome(step, result, context.facts, refValuesOf(context));
  for (const item of check.items) {
    checks.push({ location: `${where} expect[${item.index}]`, text: `${step.action.kind}: ${item.text}`, status: item.status, xfail: item.xfail, ...(item.message ? { message: item.message } : {}) });
  }
  unexpectedPasses.push(...check.unexpectedPasses.map((text) => `${where}: ${text}`));
  const real = check.mismatches.filter((mismatch) => !mismatch.xfail);
  for (const mismatch of check.mismatches.filter((m) => m.xfail)) problems.push({ message: `${where}: ${mismatch.message}`, location: where, xfail: true });
  if (real.length > 0) {
    record('failed', result.summary, result);
    const first = real[0]!;
    return kernelStop(`${where}: step ${step.action.kind}: ${real.map((m) => m.message).join('; ')}`, first.expected, first.actual);
  }
  record('done', result.summary, result);
  void testCase;
  return null;
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
