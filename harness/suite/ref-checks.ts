import { TARGET_KIND_TRAITS, type TargetKind } from '../inject/target-kind-traits.ts';
import { didYouMean } from './did-you-mean.ts';
import { referencesOf, type ValueMatcher } from './event-matcher.ts';
import type { ParsedExpectation } from './expectation-schema.ts';
import { excludedByParameters } from './requirements.ts';
import type { ParsedStep } from './step-schema.ts';
import type { PathIssue } from './validate.ts';
import { findTextRefs, formatValueRef, HELPER_REF_NAME, type ValueRef } from './value-ref.ts';

/** What a case defines, and at which step. */
interface CaseNames {
  targets: Map<string, { kind: TargetKind; index: number }>;
  programs: Map<string, number>;
  stepIds: Map<string, number>;
}

/**
 * The references of a case that case-checks.ts does not see: those in `shell` commands and
 * program `args` (free text, substituted when the step runs), and what the newer forms need
 * wherever they are: `$t0.now` and `$t0@ID` a page the helper maps and a step ID where the
 * target exists, `$NAME.pid` a program step, `since:` a step id. Also the program steps'
 * own rules (unique names, a SIGBUS the kernel log can say).
 */
export function checkReferences(steps: readonly ParsedStep[], expectations: readonly ParsedExpectation[]): PathIssue[] {
  const issues: PathIssue[] = [];
  const names = caseNames(steps);

  steps.forEach((step, index) => {
    if (excludedByParameters(step.when)) return;
    const action = step.action;
    if (action.kind === 'shell') issues.push(...textIssues(action.command, ['steps', index, 'shell'], index, names));
    if (action.kind === 'program') {
      action.args.forEach((arg, argIndex) => issues.push(...textIssues(arg, ['steps', index, 'program', 'args', argIndex], index, names)));
      if (names.targets.has(action.name)) issues.push({ path: ['steps', index, 'program', 'name'], message: `'${action.name}' names a target already; give the program another name` });
      if (names.programs.get(action.name) !== index) issues.push({ path: ['steps', index, 'program', 'name'], message: `two program steps of this case are named '${action.name}'; give each its own name: ($${action.name}.pid would be ambiguous)` });
      step.expect.forEach((outcome, outcomeIndex) => {
        if (outcome.sigbus && outcome.sigbus !== 'none' && outcome.sigbus.lsb !== null) {
          issues.push({ path: ['steps', index, 'expect', outcomeIndex, 'sigbus', 'lsb'], message: "a program's si_addr_lsb is not in the kernel's log, so it cannot be checked; leave lsb out (code, addr and async are)" });
        }
        if (outcome.running !== undefined && !action.background) issues.push({ path: ['steps', index, 'expect', outcomeIndex, 'running'], message: 'running: is about a background program (background: true); this one runs to its end' });
      });
    }
    if (action.kind === 'wait') issues.push(...matcherIssues(action.event.fields, ['steps', index, 'wait'], index, names));
    step.expect.forEach((outcome, outcomeIndex) => {
      if (excludedByParameters(outcome.when) || !outcome.sigbus || outcome.sigbus === 'none' || !outcome.sigbus.addr) return;
      issues.push(...matcherIssues({ addr: outcome.sigbus.addr }, ['steps', index, 'expect', outcomeIndex, 'sigbus'], index + 1, names));
    });
  });

  expectations.forEach((expectation, index) => {
    if (excludedByParameters(expectation.when)) return;
    const check = expectation.check;
    if (check.kind === 'event') issues.push(...matcherIssues(check.event.fields, ['expect', index], null, names));
    if (check.kind === 'sigbus' && check.sigbus.addr) issues.push(...matcherIssues({ addr: check.sigbus.addr }, ['expect', index, 'sigbus'], null, names));
    if (check.kind === 'target' && check.since !== null) {
      const problem = stepIdProblem(check.since, check.target, null, names);
      if (problem) issues.push({ path: ['expect', index, 'since'], message: problem });
    }
  });
  return issues;
}

function caseNames(steps: readonly ParsedStep[]): CaseNames {
  const names: CaseNames = { targets: new Map(), programs: new Map(), stepIds: new Map() };
  steps.forEach((step, index) => {
    if (excludedByParameters(step.when)) return;
    if (step.action.kind === 'target' && !names.targets.has(step.action.name)) names.targets.set(step.action.name, { kind: step.action.targetKind, index });
    if (step.action.kind === 'program' && !names.programs.has(step.action.name)) names.programs.set(step.action.name, index);
    if (step.id !== null && !names.stepIds.has(step.id)) names.stepIds.set(step.id, index);
  });
  return names;
}

/** A shell command's or an argument's references: each must parse and name what exists before step `before`. */
function textIssues(text: string, path: PropertyKey[], before: number, names: CaseNames): PathIssue[] {
  const issues: PathIssue[] = [];
  for (const found of findTextRefs(text)) {
    if (typeof found.ref === 'string') {
      const name = /^\$([a-z0-9_]+)/.exec(found.text)?.[1] ?? '';
      const known = names.targets.has(name) || names.programs.has(name) || name === HELPER_REF_NAME;
      const dot = found.text.indexOf('.');
      const hint = !known && dot > 0 ? ` (for the shell's variable ${name} followed by '${found.text.slice(dot)}', write $\${${name}}${found.text.slice(dot)})` : '';
      issues.push({ path, message: `${found.ref}${hint}` });
      continue;
    }
    const problem = refProblem(found.ref, before, names, false);
    if (problem) issues.push({ path, message: `${found.text}: ${problem}` });
  }
  return issues;
}

/** The newer forms inside event matchers (target existence itself is case-checks.ts's). */
function matcherIssues(fields: Readonly<Record<string, ValueMatcher>>, path: PropertyKey[], before: number | null, names: CaseNames): PathIssue[] {
  const issues: PathIssue[] = [];
  for (const { field, ref } of referencesOf(fields)) {
    if (ref.kind === 'helper' || (ref.kind === 'target' && ref.property !== 'now')) continue;
    const problem = refProblem(ref, before, names, true);
    if (problem) issues.push({ path: [...path, field], message: `${formatValueRef(ref)}: ${problem}` });
  }
  return issues;
}

/**
 * Why a reference cannot be resolved at step `before` (null: in expectations, after the
 * steps), or null when it can. `targetsChecked`: a missing target is reported elsewhere.
 */
function refProblem(ref: ValueRef, before: number | null, names: CaseNames, targetsChecked: boolean): string | null {
  const earlier = (index: number) => before === null || index < before;
  switch (ref.kind) {
    case 'helper':
      return null;
    case 'program': {
      const index = names.programs.get(ref.program);
      if (index === undefined) {
        if (names.targets.has(ref.program)) return `'${ref.program}' is a target; .pid and .comm are a program step's (a target has .pfn, .vaddr, .phys, .block, .now)`;
        const known = [...names.programs.keys()];
        return `no program '${ref.program}' in this case${didYouMean(ref.program, known) || (known.length ? ` (programs: ${known.join(', ')})` : '; run one with - program: { path: programs/x.c, name: p1 }')}`;
      }
      return earlier(index) ? null : `program '${ref.program}' is started by a later step; its pid is known once its step ran`;
    }
    case 'target':
    case 'target-after': {
      const target = names.targets.get(ref.target);
      if (!target || !earlier(target.index)) {
        if (targetsChecked) return null;
        if (names.programs.has(ref.target)) return `'${ref.target}' is a program; it has .pid and .comm`;
        if (target) return `target '${ref.target}' is used before the step that prepares it`;
        const known = [...names.targets.entries()].filter(([, t]) => earlier(t.index)).map(([name]) => name);
        return `no target '${ref.target}' in this case${didYouMean(ref.target, known) || (known.length ? ` (targets: ${known.join(', ')})` : '; prepare one with - target: { name: t0, kind: anon }')}`;
      }
      const owned = TARGET_KIND_TRAITS[target.kind].owned;
      if (ref.kind === 'target' && (ref.property === 'vaddr' || ref.property === 'now') && !owned) {
        return `a '${target.kind}' page is not mapped by the helper, so it has no ${ref.property === 'vaddr' ? 'address' : 'mapping to read the PFN of now'}${ref.property === 'now' ? `; its PFN does not change: write $${ref.target}` : ''}`;
      }
      if (ref.kind === 'target-after') {
        if (!owned) return `a '${target.kind}' page is not mapped by the helper, so nothing moves it: write $${ref.target}`;
        return stepIdProblem(ref.step, ref.target, before, names);
      }
      return null;
    }
  }
}

/** `@ID` and `since: ID`: a step of this case, at or after the target's preparation, and (in a step) before it. */
function stepIdProblem(id: string, targetName: string, before: number | null, names: CaseNames): string | null {
  const index = names.stepIds.get(id);
  if (index === undefined) {
    const known = [...names.stepIds.keys()];
    return `no step with id '${id}' in this case${didYouMean(id, known) || (known.length ? ` (step ids: ${known.join(', ')})` : '; give that step an id: poison beside its action')}`;
  }
  const target = names.targets.get(targetName);
  if (target && index < target.index) return `step '${id}' comes before target '${targetName}' is prepared`;
  if (before !== null && index >= before) return `step '${id}' has not run yet here (the PFN after it is known once it ran)`;
  return null;
}
