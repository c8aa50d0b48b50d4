import type { AttemptResult, CaseResult, KernelInfo, Verdict } from '../results/run-result.ts';
import type { SuiteCase } from '../suite/index.ts';
import type { ExecutedCase } from './execute-case.ts';

function base(testCase: SuiteCase, kernel: KernelInfo, repeatIndex: number): Omit<CaseResult, 'verdict' | 'durationMs' | 'attempts' | 'injections' | 'events' | 'artifacts'> {
  return {
    key: testCase.key,
    suite: testCase.suite.id,
    caseId: testCase.id,
    title: testCase.title,
    tags: testCase.tags,
    parameters: testCase.parameters,
    ...(testCase.reference.length > 0 ? { reference: testCase.reference.join('; ') } : {}),
    kernel,
    repeatIndex,
  };
}

export function skippedCaseResult(testCase: SuiteCase, kernel: KernelInfo, repeatIndex: number, reason: string): CaseResult {
  return { ...base(testCase, kernel, repeatIndex), verdict: 'skipped', skipReason: reason, durationMs: 0, attempts: [], injections: [], events: [], artifacts: {} };
}

/** The attempt part of an executed case (what AttemptResult carries, nothing more). */
export function attemptOf(executed: ExecutedCase): AttemptResult {
  return {
    attempt: executed.attempt,
    verdict: executed.verdict,
    durationMs: executed.durationMs,
    isolation: executed.isolation,
    ...(executed.failure ? { failure: executed.failure } : {}),
    ...(executed.crash ? { crash: executed.crash } : {}),
    ...(executed.recoveries && executed.recoveries.length > 0 ? { recoveries: executed.recoveries } : {}),
    ...(executed.crashes ? { crashes: executed.crashes } : {}),
    ...(executed.lostLogRecords ? { lostLogRecords: executed.lostLogRecords } : {}),
  };
}

/**
 * A case's result from its attempts: events, state, injections and artifacts of the last
 * attempt; failure and crash of the last attempt, or for a flaky case of the first that failed.
 */
export function executedCaseResult(testCase: SuiteCase, kernel: KernelInfo, repeatIndex: number, verdict: Verdict, executions: readonly ExecutedCase[]): CaseResult {
  const last = executions.at(-1)!;
  const attempts = executions.map(attemptOf);
  const failing = verdict === 'flaky' ? executions.find((e) => e.failure || e.crash) : last;
  return {
    ...base(testCase, kernel, repeatIndex),
    verdict,
    durationMs: executions.reduce((sum, e) => sum + e.durationMs, 0),
    attempts,
    ...(failing?.failure ? { failure: failing.failure } : {}),
    ...(failing?.crash ? { crash: failing.crash } : {}),
    ...(last.crashes ? { crashes: last.crashes } : {}),
    ...(last.lostLogRecords ? { lostLogRecords: last.lostLogRecords } : {}),
    injections: last.injections,
    events: last.events,
    ...(last.stateDiff ? { stateDiff: last.stateDiff } : {}),
    ...(last.steps.length > 0 ? { steps: last.steps } : {}),
    ...(last.checks.length > 0 ? { checks: last.checks } : {}),
    artifacts: last.artifacts,
  };
}

/** An attempt that never ran because the harness could not give it a guest. */
export function infraAttempt(attempt: number, message: string, isolation: 'restore' | 'boot', durationMs: number): ExecutedCase {
  return {
    attempt,
    verdict: 'infra-error',
    durationMs,
    isolation,
    failure: { message },
    events: [],
    stateDiff: undefined,
    injections: [],
    artifacts: {},
    steps: [],
    checks: [],
  };
}
