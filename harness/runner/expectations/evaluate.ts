import type { Expectation } from '../../suite/index.ts';
import { evaluateEventExpectation } from './event-expectation.ts';
import type { CaseObservations, ExpectationOutcome } from './expectation-outcome.ts';
import { evaluateCrashExpectation, evaluateHelperExpectation, evaluateSigbusExpectation, evaluateTargetExpectation } from './process-expectation.ts';
import { evaluateStateExpectation } from './state-expectation.ts';

export type { CaseObservations, ExpectationOutcome, TargetAfter } from './expectation-outcome.ts';

/** One expectation item against what the case observed (its `when` is decided by the caller). */
export function evaluateExpectation(expectation: Expectation, observations: CaseObservations): ExpectationOutcome {
  const check = expectation.check;
  switch (check.kind) {
    case 'event':
      return evaluateEventExpectation(check.event, check.count, observations);
    case 'state':
      return evaluateStateExpectation(check.path, check.state, observations);
    case 'sigbus':
      return evaluateSigbusExpectation(check, observations);
    case 'helper':
      return evaluateHelperExpectation(check, observations);
    case 'target':
      return evaluateTargetExpectation(check, observations);
    case 'crash':
      return evaluateCrashExpectation(check, observations);
  }
}
