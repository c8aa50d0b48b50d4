import type { TargetKnobs } from '../inject/target-knobs.ts';
import type { ValueMatcher } from './event-matcher.ts';
import type { ParsedExpectation } from './expectation-schema.ts';
import { excludedByParameters } from './requirements.ts';
import type { ParsedStep } from './step-schema.ts';
import type { PathIssue } from './validate.ts';

/** Steps that touch a target's memory through the helper, and so fault a reserved page in. */
const FAULTING_STEPS = new Set(['fill', 'verify', 'access']);

const RESERVED =
  "is only reserved (fault: false): it has no page, so no PFN, until an access, fill or verify step faults it in; add one before, or leave fault: false out";

/** `$t0` / `$t0.pfn` / `$t0.phys` fields of an event matcher (a PFN or physical address: meaningless without a page). */
function pfnRefs(fields: Readonly<Record<string, ValueMatcher>>): Array<{ field: string; target: string; text: string }> {
  return Object.entries(fields).flatMap(([field, matcher]) =>
    matcher.kind === 'ref' && matcher.ref.kind === 'target' && matcher.ref.property !== 'vaddr' ? [{ field, target: matcher.ref.target, text: `$${matcher.ref.target}${matcher.ref.property === 'pfn' ? '' : `.${matcher.ref.property}`}` }] : [],
  );
}

/**
 * What a target's knobs mean for the steps after it (harness/inject/target-knobs.ts): a
 * `fault: false` target has no PFN until a step faults it in, so an injection, a migration, a
 * block or a PFN reference before that (or, for expectations, with no such step at all) cannot
 * work; an `access` index must be one of the target's `pages:`.
 */
export function checkTargetKnobUse(steps: readonly ParsedStep[], expectations: readonly ParsedExpectation[]): PathIssue[] {
  const issues: PathIssue[] = [];
  const knobs = new Map<string, TargetKnobs>();
  for (const step of steps) {
    if (step.action.kind === 'target' && !excludedByParameters(step.when) && !knobs.has(step.action.name)) knobs.set(step.action.name, step.action.knobs ?? {});
  }
  const reserved = new Set([...knobs].filter(([, k]) => k.fault === false).map(([name]) => name));
  const faulted = new Set<string>();
  const unfaulted = (name: string): boolean => reserved.has(name) && !faulted.has(name);

  steps.forEach((step, index) => {
    if (excludedByParameters(step.when)) return;
    const action = step.action;
    const at = (...rest: PropertyKey[]): PropertyKey[] => ['steps', index, action.kind, ...rest];
    if ((action.kind === 'inject' || action.kind === 'migrate') && unfaulted(action.target)) {
      issues.push({ path: at('target'), message: `${action.kind === 'inject' ? `${action.method} injects into a page` : 'migrate moves a page'}: target '${action.target}' ${RESERVED}` });
    }
    if (action.kind === 'memoryBlock' && action.block.kind === 'target' && unfaulted(action.block.target)) {
      issues.push({ path: at('block'), message: `block: $${action.block.target} is the block of its page: target '${action.block.target}' ${RESERVED}` });
    }
    if (action.kind === 'wait') {
      for (const ref of pfnRefs(action.event.fields)) if (unfaulted(ref.target)) issues.push({ path: at(ref.field), message: `${ref.text}: target '${ref.target}' ${RESERVED}` });
    }
    if (action.kind === 'access' && action.index !== null) {
      const pages = knobs.get(action.target)?.pages ?? 1;
      if (knobs.has(action.target) && action.index >= pages) {
        issues.push({ path: at('index'), message: `index ${action.index} is not a page of target '${action.target}', which has ${pages} (0..${pages - 1}: pages: on the target sets how many)` });
      }
    }
    if (FAULTING_STEPS.has(action.kind) && 'target' in action) faulted.add(action.target);
  });

  // Expectations are judged after every step: a reserved target some step faulted in has a PFN by then.
  expectations.forEach((expectation, index) => {
    if (excludedByParameters(expectation.when)) return;
    const check = expectation.check;
    const at = (...rest: PropertyKey[]): PropertyKey[] => ['expect', index, ...rest];
    if (check.kind === 'event') {
      for (const ref of pfnRefs(check.event.fields)) if (unfaulted(ref.target)) issues.push({ path: at(ref.field), message: `${ref.text}: target '${ref.target}' ${RESERVED}` });
    } else if (check.kind === 'target' && unfaulted(check.target)) {
      issues.push({ path: at('target'), message: `the target: check reads its page: target '${check.target}' ${RESERVED}` });
    } else if (check.kind === 'state') {
      const state = check.state;
      const name = state.section === 'pages' && state.page.kind === 'target' ? state.page.target : state.section === 'memoryBlocks' && state.block.kind === 'target' ? state.block.target : null;
      if (name !== null && unfaulted(name)) issues.push({ path: at(check.path), message: `${check.path}: target '${name}' ${RESERVED}` });
    }
  });
  return issues;
}
