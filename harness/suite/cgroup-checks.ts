import { didYouMean } from './did-you-mean.ts';
import type { ParsedExpectation } from './expectation-schema.ts';
import { excludedByParameters } from './requirements.ts';
import type { ParsedStep } from './step-schema.ts';
import type { PathIssue } from './validate.ts';

interface GroupUse {
  /** Index of the first cgroup step on the group. */
  first: number;
  /** Controllers enabled for it by any of its steps. */
  controllers: Set<string>;
  /** Index and position in `procs` of the steps that move processes in. */
  procs: Array<{ step: number; index: number }>;
}

/**
 * What one value at a time cannot tell about `cgroup` steps and `cgroup.*` state paths: a
 * setting of a controller the group does not have, a process in a group that also has
 * children (cgroup v2 lets processes join leaves only), a program that is not running, a
 * state path naming a group or controller the case never makes, and a before value the before
 * snapshot cannot have because the group is made after it.
 */
export function checkCgroups(steps: readonly ParsedStep[], expectations: readonly ParsedExpectation[]): PathIssue[] {
  const issues: PathIssue[] = [];
  const groups = new Map<string, GroupUse>();
  const programs = new Map<string, { index: number; background: boolean }>();
  let beforeAt: number | null = null;
  let beforeWhat = "the case's start (it has no inject and no snapshot step)";
  steps.forEach((step, index) => {
    if (excludedByParameters(step.when)) return;
    // A program step (program-schema.ts) read loosely: only its name and whether it keeps running matter here.
    const loose = step.action as { kind: string; name?: unknown; background?: unknown };
    if (loose.kind === 'program' && typeof loose.name === 'string') programs.set(loose.name, { index, background: loose.background === true });
    if (beforeAt === null && step.action.kind === 'snapshot') [beforeAt, beforeWhat] = [index, `the snapshot step (step ${index + 1})`];
    if (step.action.kind !== 'cgroup') return;
    const action = step.action;
    const use = groups.get(action.name) ?? { first: index, controllers: new Set<string>(), procs: [] };
    for (const controller of action.controllers) use.controllers.add(controller);
    groups.set(action.name, use);
    for (const { file } of action.set) {
      const controller = file.split('.')[0]!;
      if (controller !== 'cgroup' && !use.controllers.has(controller)) {
        issues.push({ path: ['steps', index, 'cgroup', 'set', file], part: 'key', message: `${file} needs the ${controller} controller in ${action.name}: add ${controller} to controllers (of this step or an earlier one on ${action.name})` });
      }
    }
    action.procs.forEach((proc, procIndex) => {
      use.procs.push({ step: index, index: procIndex });
      if (proc.kind !== 'program') return;
      const program = programs.get(proc.name);
      const path = ['steps', index, 'cgroup', 'procs', procIndex];
      if (!program) issues.push({ path, message: `no program step named ${proc.name} before this step${didYouMean(proc.name, [...programs.keys()]) || (programs.size > 0 ? ` (programs: ${[...programs.keys()].join(', ')})` : '')}` });
      else if (!program.background) issues.push({ path, message: `program ${proc.name} has ended by the time this step runs: start it with background: true to move it into ${action.name}` });
    });
  });
  if (beforeAt === null) {
    const inject = steps.findIndex((step) => step.action.kind === 'inject' && !excludedByParameters(step.when));
    if (inject >= 0) [beforeAt, beforeWhat] = [inject, `the first inject (step ${inject + 1})`];
  }

  for (const [name, use] of groups) {
    const child = [...groups.keys()].find((other) => other.startsWith(`${name}/`));
    if (!child) continue;
    for (const { step, index } of use.procs) {
      issues.push({ path: ['steps', step, 'cgroup', 'procs', index], message: `${name} has a child group ${child}: cgroup v2 lets processes join only a leaf, and a group with processes cannot enable controllers for its children; move them into ${child} (or another child)` });
    }
  }

  expectations.forEach((expectation, index) => {
    if (excludedByParameters(expectation.when) || expectation.check.kind !== 'state') return;
    const { path, state } = expectation.check;
    if (state.section !== 'cgroup') return;
    const at = { path: ['expect', index, path], part: 'key' as const };
    const use = groups.get(state.group);
    if (!use) {
      const known = [...groups.keys()];
      issues.push({ ...at, message: `no cgroup '${state.group}' in this case${didYouMean(state.group, known) || (known.length > 0 ? ` (cgroups: ${known.join(', ')})` : `; make one with - cgroup: { name: ${state.group}, controllers: [${state.controller ?? 'memory'}] }`)}` });
      return;
    }
    if (state.controller && !use.controllers.has(state.controller)) {
      issues.push({ ...at, message: `${state.file} needs the ${state.controller} controller in ${state.group}: add ${state.controller} to its cgroup step's controllers` });
    }
    const before = beforeAt ?? -1;
    if ((state.delta !== null || state.before !== null) && use.first >= before) {
      issues.push({
        ...at,
        message: `${state.group} is made by step ${use.first + 1}, after the before snapshot (taken at ${beforeWhat}), so it has no before value: put - snapshot: before after the cgroup step, or check the value after alone ({ after: ... })`,
      });
    }
  });
  return issues;
}
