import { srarCmdline } from '../inject/machine-check.ts';
import { METHOD_TRAITS } from '../inject/method-traits.ts';
import { FILE_TARGET_KINDS, TARGET_KIND_TRAITS, type TargetKind } from '../inject/target-kind-traits.ts';
import type { GuestSpec } from '../vm/guest-spec.ts';
import { didYouMean } from './did-you-mean.ts';
import { referencedTargets, type ValueMatcher } from './event-matcher.ts';
import type { ParsedExpectation } from './expectation-schema.ts';
import { excludedByParameters } from './requirements.ts';
import type { SigbusMatcher } from './sigbus.ts';
import type { ParsedStep, StepOutcome } from './step-schema.ts';
import { checkTargetKnobUse } from './target-checks.ts';
import { checkReferences } from './ref-checks.ts';
import { checkCgroups } from './cgroup-checks.ts';
import { checkTopologySteps } from './topology-checks.ts';
import type { PathIssue } from './validate.ts';
import { refTarget } from './value-ref.ts';

/** Steps that act through the helper's mapping of the page. */
const OWNER_STEPS = new Set(['fill', 'verify', 'access', 'fsync', 'msync', 'release', 'migrate']);
/** CPU models whose default vendor is AuthenticAMD under QEMU: the guest panics on any uncorrected MCE. */
const AMD_BY_DEFAULT = /^(qemu64|qemu32|kvm64|kvm32|max)(,|$)/;

/**
 * What zod cannot see one value at a time: names used before they are defined, actions a
 * kind of page cannot take, a guest CPU that turns a recoverable MCE into a panic.
 */
export function checkCase(steps: readonly ParsedStep[], expectations: readonly ParsedExpectation[], guest: GuestSpec | null): PathIssue[] {
  const issues: PathIssue[] = [];
  const targets = new Map<string, { kind: TargetKind; index: number }>();
  const stepIds = new Map<string, number>();
  let snapshots = 0;

  const use = (name: string, path: PropertyKey[], before: number | null): TargetKind | null => {
    const target = targets.get(name);
    if (!target || (before !== null && target.index >= before)) {
      const known = [...targets.keys()].filter((candidate) => before === null || targets.get(candidate)!.index < before);
      const later = targets.get(name) !== undefined;
      issues.push({ path, message: later ? `target '${name}' is used before the step that prepares it` : `no target '${name}' in this case${didYouMean(name, known) || (known.length ? ` (targets: ${known.join(', ')})` : '; prepare one with - target: { name: t0, kind: anon }')}` });
      return null;
    }
    return target.kind;
  };

  // Targets first, so expectations may name any of them; order still matters for steps.
  // Items that a `when: { parameters }` rules out for this combination are not checked.
  steps.forEach((step, index) => {
    if (step.action.kind !== 'target' || excludedByParameters(step.when)) return;
    if (targets.has(step.action.name)) issues.push({ path: ['steps', index, 'target', 'name'], message: `target '${step.action.name}' is prepared twice` });
    else targets.set(step.action.name, { kind: step.action.targetKind, index });
  });

  steps.forEach((step, index) => {
    if (excludedByParameters(step.when)) return;
    const action = step.action;
    const at = (...rest: PropertyKey[]): PropertyKey[] => ['steps', index, action.kind, ...rest];
    if (step.id !== null) {
      if (stepIds.has(step.id)) issues.push({ path: ['steps', index, 'id'], message: `step id '${step.id}' is used twice` });
      stepIds.set(step.id, index);
    }
    if (action.kind === 'snapshot' && ++snapshots > 1) issues.push({ path: at(), message: 'only one `snapshot: before` per case' });
    if ('target' in action) {
      const kind = use(action.target, at('target'), index);
      if (kind && OWNER_STEPS.has(action.kind) && !TARGET_KIND_TRAITS[kind].owned) {
        issues.push({ path: at('target'), message: `${action.kind} needs a page the helper maps; a '${kind}' target (${TARGET_KIND_TRAITS[kind].description}) has no owner` });
      }
      else if (kind && action.kind === 'fsync' && TARGET_KIND_TRAITS[kind].file === null) issues.push({ path: at('target'), message: `fsync needs a file-backed target (${FILE_TARGET_KINDS.join(', ')}); '${kind}' has no file` });
      if (kind && action.kind === 'inject' && METHOD_TRAITS[action.method].owner === 'calls' && !TARGET_KIND_TRAITS[kind].owned) {
        issues.push({ path: at('method'), message: `${action.method} needs a page the helper maps, and a '${kind}' page has no owner to call madvise; use another method, or exclude this combination under exclude:` });
      }
      if (action.kind === 'inject' && METHOD_TRAITS[action.method].machineCheck && guest && (AMD_BY_DEFAULT.test(guest.cpuModel) || guest.cpuModel.includes('vendor=AuthenticAMD')) && !guest.cpuModel.includes('vendor=GenuineIntel')) {
        issues.push({ path: at('method'), message: `${action.method} needs a GenuineIntel guest CPU: with cpuModel '${guest.cpuModel}' the guest panics on any uncorrected machine check; add vendor=GenuineIntel` });
      }
      // The runner boots the case's guest as written (unlike `memharness inject`, which adds
      // the SRAR injector's guestRequirements), so a suite must ask for the isolated CPU the
      // SRAR lands on itself; without it the machine check can catch the kernel and panic it.
      if (action.kind === 'inject' && METHOD_TRAITS[action.method].owner === 'consumes' && guest) {
        const wanted = srarCmdline(Math.max(2, guest.cpus));
        const missing = wanted.filter((word) => !guest.cmdline.includes(word));
        if (guest.cpus < 2 || missing.length > 0) {
          issues.push({ path: at('method'), message: `${action.method} needs a guest with cpus: 2 (or more) and the last CPU isolated for the owner to read the page on: cpus: ${Math.max(2, guest.cpus)}, cmdline: [${wanted.map((word) => `'${word}'`).join(', ')}] (harness/inject/machine-check.ts srarCmdline)` });
        }
      }
    }
    if (action.kind === 'memoryBlock' && action.block.kind === 'target') use(action.block.target, at('block'), index);
    if (action.kind === 'wait') for (const ref of referencedTargets(action.event.fields)) use(ref.target, at(ref.field), index);
    step.expect.forEach((outcome, outcomeIndex) => {
      if (excludedByParameters(outcome.when)) return;
      for (const target of outcomeTargets(outcome)) use(target, ['steps', index, 'expect', outcomeIndex, 'sigbus'], index + 1);
    });
  });

  expectations.forEach((expectation, index) => {
    if (excludedByParameters(expectation.when)) return;
    const check = expectation.check;
    const at = (...rest: PropertyKey[]): PropertyKey[] => ['expect', index, ...rest];
    switch (check.kind) {
      case 'event':
        for (const ref of referencedTargets(check.event.fields)) use(ref.target, at(ref.field), null);
        break;
      case 'sigbus':
        for (const target of sigbusTargets(check.sigbus)) use(target, at('sigbus', 'addr'), null);
        break;
      case 'target': {
        const kind = use(check.target, at('target'), null);
        if (kind && !TARGET_KIND_TRAITS[kind].owned) issues.push({ path: at('target'), message: `data and pfn are read through the helper's mapping; a '${kind}' target has none` });
        break;
      }
      case 'state': {
        const state = check.state;
        if (state.section === 'pages' && state.page.kind === 'target') use(state.page.target, at(check.path), null);
        if (state.section === 'memoryBlocks' && state.block.kind === 'target') use(state.block.target, at(check.path), null);
        break;
      }
      default:
        break;
    }
  });
  issues.push(...checkReferences(steps, expectations));
  issues.push(...checkTargetKnobUse(steps, expectations));
  issues.push(...checkTopologySteps(steps, guest));
  issues.push(...checkCgroups(steps, expectations));
  return issues;
}

function outcomeTargets(outcome: StepOutcome): string[] {
  return outcome.sigbus && outcome.sigbus !== 'none' ? sigbusTargets(outcome.sigbus) : [];
}

function sigbusTargets(sigbus: SigbusMatcher): string[] {
  const addr: ValueMatcher | null = sigbus.addr;
  const target = addr && addr.kind === 'ref' ? refTarget(addr.ref) : null;
  return target === null ? [] : [target];
}
