import type { AttemptResult, CrashInfo, ExpectationRecord, FailureInfo } from '../results/run-result.ts';
import { conditionHolds, type KernelFacts, type SuiteCase } from '../suite/index.ts';
import { formatLocation } from '../suite/problems.ts';
import { decideCrashes } from './crash-dispositions.ts';
import { evaluateExpectation, type CaseObservations } from './expectations/evaluate.ts';
import { checkNoNewTaint } from './implicit-checks.ts';
import { decideVerdict, type Problem } from './verdict.ts';

/** Why the steps stopped early: the harness could not go on, the kernel failed a step, or the guest died. */
export interface StepStop {
  kind: 'infra' | 'kernel' | 'died';
  failure: FailureInfo;
}

/** What the steps phase hands to the judge. */
export interface StepsVerdictInput {
  stop: StepStop | null;
  /** Step `expect:` items, as checked while the steps ran. */
  checks: readonly ExpectationRecord[];
  /** Step mismatches marked xfail (a real mismatch stops the case instead). */
  problems: readonly Problem[];
  /** Step items marked xfail that passed. */
  unexpectedPasses: readonly string[];
}

export interface JudgeInput {
  testCase: Pick<SuiteCase, 'expectations' | 'implicit' | 'xfail' | 'location'>;
  facts: KernelFacts;
  steps: StepsVerdictInput;
  /** What the case observed: kernel log (events, crash reports, losses), state, owner, targets. */
  observations: CaseObservations;
  alive: boolean;
  consoleTail: () => string;
}

export interface Judgement extends Pick<AttemptResult, 'verdict' | 'failure' | 'crash'> {
  /** Every step and expectation item with what became of it. */
  checks: ExpectationRecord[];
  crashes: CrashInfo[];
}

/**
 * The verdict of one attempt from what it observed. Pure: everything the guest said has been
 * collected before; the expectations, the implicit checks (no unexpected crash report, no new
 * taint) and the xfail rules are applied here, in that order of precedence (decideVerdict).
 */
export function judgeCase(input: JudgeInput): Judgement {
  const { testCase, facts, steps, observations } = input;
  const checks: ExpectationRecord[] = [...steps.checks];
  const problems: Problem[] = [...steps.problems];
  const unexpectedPasses: string[] = [...steps.unexpectedPasses];
  const { crashes, crash } = decideCrashes({ reports: observations.crashes, alive: input.alive, testCase, facts, consoleTail: input.consoleTail });
  const stop = steps.stop;

  // Expectations: when the steps ran through, or when the guest's death was the point.
  const crashExpected = testCase.expectations.some((e) => e.check.kind === 'crash' && conditionHolds(e.when, facts));
  if (!stop || (stop.kind === 'died' && (crashExpected || testCase.implicit.allowCrash))) {
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

  // Implicit: no new taint (M allowed after mce-*), while there is a kernel to ask.
  if (input.alive) {
    const taint = checkNoNewTaint(observations.stateDiff, testCase.implicit);
    if (taint) problems.push({ message: taint.message, expectation: 'implicit: no new taint', expected: { allowed: testCase.implicit.allowedNewTaint.map((f) => f.letter) }, actual: { added: taint.added }, location: formatLocation(testCase.location) });
  }

  const caseXfail = testCase.xfail && conditionHolds(testCase.xfail.when, facts) ? { reason: testCase.xfail.reason, reference: testCase.xfail.reference } : null;
  const decided = decideVerdict({
    infra: stop?.kind === 'infra' && !crash ? stop.failure : null,
    crash,
    failures: problems.filter((problem) => !problem.xfail),
    unexpectedPasses,
    caseXfail,
  });
  return { ...decided, checks, crashes };
}
