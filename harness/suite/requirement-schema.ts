import { z } from 'zod';
import { didYouMean } from './did-you-mean.ts';
import { FEATURE_NAMES, isFeatureName, type FeatureName } from './features.ts';
import { versionRangeSchema, type VersionRange } from './version-range.ts';

/** One condition on the kernel under test, with why it is there (for the SKIP reason). */
export type Requirement =
  | { kind: 'kernel'; range: VersionRange; because: string; implied: boolean }
  | { kind: 'config'; option: string; accepted: string[]; because: string; implied: boolean }
  | { kind: 'module'; name: string; because: string; implied: boolean }
  | { kind: 'feature'; name: FeatureName; because: string; implied: boolean }
  /** `when: { parameters: ... }`, already decided for the case's combination when it was expanded. */
  | { kind: 'parameters'; holds: boolean; text: string; because: string; implied: boolean };

/** y, m, n, a number or a string; a list means any of them. Booleans are refused: Kconfig has no "true". */
const configAcceptedSchema = z.unknown().transform((value, ctx): string[] => {
  const values = Array.isArray(value) ? value : [value];
  const out: string[] = [];
  values.forEach((item, index) => {
    const path = Array.isArray(value) ? [index] : [];
    if (typeof item === 'boolean') ctx.addIssue({ code: 'custom', path, message: `write y, m or n as in a .config, not ${String(item)}` });
    else if (typeof item === 'number') out.push(String(item));
    else if (typeof item === 'string' && item.length > 0) out.push(item);
    else ctx.addIssue({ code: 'custom', path, message: 'expected a .config value: y, m, n, a number or a string (or a list of them)' });
  });
  if (values.length === 0) ctx.addIssue({ code: 'custom', message: 'an empty list accepts nothing; give at least one value' });
  return out;
});

const configOptionSchema = z.string().regex(/^CONFIG_[A-Z0-9_]+$/, 'a Kconfig option such as CONFIG_MEMORY_FAILURE');

const moduleNameSchema = z.string().regex(/^[A-Za-z0-9_-]+$/, 'a module name such as hwpoison_inject').transform((name) => name.replaceAll('-', '_'));

const featureSchema = z.string().transform((name, ctx): FeatureName => {
  if (isFeatureName(name)) return name;
  ctx.addIssue({ code: 'custom', message: `unknown feature '${name}' (known: ${FEATURE_NAMES.join(', ')})${didYouMean(name, FEATURE_NAMES)}` });
  return z.NEVER;
});

/**
 * `requires:` and `when:` share this shape: everything listed must hold.
 *   kernel: '>=6.12'                      config: { CONFIG_MEMORY_FAILURE: y, CONFIG_HWPOISON_INJECT: [y, m] }
 *   modules: [hwpoison_inject]            features: [per-node-memory-failure-stats]
 */
export const requirementSpecSchema = z.object({
  kernel: versionRangeSchema.optional(),
  config: z.record(configOptionSchema, configAcceptedSchema).optional(),
  modules: z.array(moduleNameSchema).optional(),
  features: z.array(featureSchema).optional(),
});

export type RequirementSpec = z.output<typeof requirementSpecSchema>;

export function requirementsFrom(spec: RequirementSpec | undefined, because: string, implied = false): Requirement[] {
  if (!spec) return [];
  const out: Requirement[] = [];
  if (spec.kernel) out.push({ kind: 'kernel', range: spec.kernel, because, implied });
  for (const [option, value] of Object.entries(spec.config ?? {})) out.push({ kind: 'config', option, accepted: value, because, implied });
  for (const name of spec.modules ?? []) out.push({ kind: 'module', name, because, implied });
  for (const name of spec.features ?? []) out.push({ kind: 'feature', name, because, implied });
  return out;
}

/**
 * `when:` takes what `requires:` takes plus `parameters:` (only in a matrix case: the
 * combinations an item applies to). Expansion has already replaced the written
 * `parameters:` with its verdict for the combination (resolveParameterConditions), so
 * only that shape is accepted here.
 */
const conditionSpecSchema = requirementSpecSchema.extend({
  parameters: z.object({ holds: z.boolean(), text: z.string() }).optional(),
});

/** A condition (`when:`) as typed requirements; null when there is none. */
export const conditionSchema = conditionSpecSchema.transform((spec): Requirement[] => {
  const { parameters, ...rest } = spec;
  const out = requirementsFrom(rest, 'when');
  if (parameters) out.push({ kind: 'parameters', holds: parameters.holds, text: parameters.text, because: 'when', implied: false });
  return out;
});
