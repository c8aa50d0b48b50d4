import { configValue, configValueMatches } from './kernel-config.ts';
import type { KernelFacts } from './kernel-facts.ts';
import { formatKernelVersion } from './kernel-version.ts';
import type { Requirement } from './requirement-schema.ts';
import { versionInRange } from './version-range.ts';

export type RequirementCheck = { met: true } | { met: false; reason: string };

export interface RequirementsVerdict {
  satisfied: boolean;
  unmet: Array<{ requirement: Requirement; reason: string }>;
  /** One line for the SKIP verdict; null when satisfied. */
  skipReason: string | null;
}

/**
 * Whether a case can run on a kernel; a case that cannot is SKIPped with the reasons. A
 * fact that is unknown (no .config, no module list, patch level) fails a requirement the
 * suite wrote, but not one implied by the steps: those only rule out what is known to lack.
 */
export function evaluateRequirements(testCase: { requirements: readonly Requirement[] }, facts: KernelFacts): RequirementsVerdict {
  const unmet: RequirementsVerdict['unmet'] = [];
  for (const requirement of testCase.requirements) {
    const check = evaluateRequirement(requirement, facts);
    if (!check.met) unmet.push({ requirement, reason: check.reason });
  }
  return { satisfied: unmet.length === 0, unmet, skipReason: unmet.length === 0 ? null : unmet.map((entry) => entry.reason).join('; ') };
}

/** A `when:` condition; unknown facts make it not hold (the expectation or step does not apply). */
export function conditionHolds(when: readonly Requirement[] | null, facts: KernelFacts): boolean {
  return when === null || when.every((requirement) => evaluateRequirement({ ...requirement, implied: false }, facts).met);
}

/**
 * True when a `when: { parameters }` rules the item out for its case's combination: such an
 * item never applies on any kernel, so lint and implied requirements ignore it (an `access`
 * kept for the owned targets of a matrix is not an access on its free pages).
 */
export function excludedByParameters(when: readonly Requirement[] | null): boolean {
  return when !== null && when.some((requirement) => requirement.kind === 'parameters' && !requirement.holds);
}

export function evaluateRequirement(requirement: Requirement, facts: KernelFacts): RequirementCheck {
  const why = requirement.because ? ` (${requirement.because})` : '';
  switch (requirement.kind) {
    case 'kernel': {
      const inRange = versionInRange(facts.version, requirement.range);
      if (inRange === true) return { met: true };
      if (inRange === 'unknown') return { met: false, reason: `cannot tell whether ${facts.release} is ${requirement.range.text}: its upstream patch level is unknown${why}` };
      return { met: false, reason: `needs kernel ${requirement.range.text}, this is ${formatKernelVersion(facts.version)} (${facts.release})${why}` };
    }
    case 'config': {
      const wanted = `${requirement.option}=${requirement.accepted.join('|')}`;
      if (!facts.config) return requirement.implied ? { met: true } : { met: false, reason: `needs ${wanted}, but the kernel's .config is unknown${why}` };
      const actual = configValue(facts.config, requirement.option);
      return configValueMatches(actual, requirement.accepted) ? { met: true } : { met: false, reason: `needs ${wanted}, the kernel has ${requirement.option}=${actual}${why}` };
    }
    case 'module': {
      if (!facts.modules) return requirement.implied ? { met: true } : { met: false, reason: `needs module ${requirement.name}, but the kernel's module list is unknown${why}` };
      return facts.modules.has(requirement.name) ? { met: true } : { met: false, reason: `needs module ${requirement.name}, which this kernel neither builds in nor ships${why}` };
    }
    case 'feature':
      return facts.features.has(requirement.name) ? { met: true } : { met: false, reason: `needs ${requirement.name}, which ${facts.release} does not have${why}` };
    case 'parameters':
      return requirement.holds ? { met: true } : { met: false, reason: `only for the combinations with ${requirement.text}${why}` };
  }
}
