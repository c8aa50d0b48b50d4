import { referencesOf } from './event-matcher.ts';
import type { Expectation } from './expectation-schema.ts';
import type { Step, StepOutcome } from './step-schema.ts';
import { findTextRefs, type ValueRef } from './value-ref.ts';

/** The references a step uses while it runs: in its command or arguments, its event matcher. */
export function stepReferences(step: Pick<Step, 'action'>): ValueRef[] {
  const action = step.action;
  const texts = action.kind === 'shell' ? [action.command] : action.kind === 'program' ? action.args : [];
  const fromText = texts.flatMap((text) => findTextRefs(text).flatMap((found) => (typeof found.ref === 'string' ? [] : [found.ref])));
  const fromMatcher = action.kind === 'wait' ? referencesOf(action.event.fields).map((entry) => entry.ref) : [];
  return [...fromText, ...fromMatcher];
}

/** The references of a step's `expect:` items (a SIGBUS address). */
export function outcomeReferences(outcomes: readonly StepOutcome[]): ValueRef[] {
  return outcomes.flatMap((outcome) => (outcome.sigbus && outcome.sigbus !== 'none' && outcome.sigbus.addr?.kind === 'ref' ? [outcome.sigbus.addr.ref] : []));
}

/** The references the case's expectations resolve after the steps. */
export function expectationReferences(expectations: readonly Pick<Expectation, 'check'>[]): ValueRef[] {
  return expectations.flatMap(({ check }): ValueRef[] => {
    if (check.kind === 'event') return referencesOf(check.event.fields).map((entry) => entry.ref);
    if (check.kind === 'sigbus' && check.sigbus.addr?.kind === 'ref') return [check.sigbus.addr.ref];
    if (check.kind === 'target' && check.since !== null) return [{ kind: 'target-after', target: check.target, step: check.since, property: 'pfn' }];
    return [];
  });
}

/**
 * Which targets' PFNs the runner reads right after which steps (by id): every `$t0@ID` the
 * case uses anywhere, and every `since: ID` of a `target:` expectation. Nothing else is read,
 * so a case that names no step pays for nothing.
 */
export function pfnReadsAfterSteps(testCase: { steps: readonly Pick<Step, 'action' | 'expect'>[]; expectations: readonly Pick<Expectation, 'check'>[] }): Map<string, Set<string>> {
  const refs = [...testCase.steps.flatMap((step) => [...stepReferences(step), ...outcomeReferences(step.expect)]), ...expectationReferences(testCase.expectations)];
  const reads = new Map<string, Set<string>>();
  for (const ref of refs) {
    if (ref.kind !== 'target-after') continue;
    const targets = reads.get(ref.step) ?? new Set<string>();
    targets.add(ref.target);
    reads.set(ref.step, targets);
  }
  return reads;
}
