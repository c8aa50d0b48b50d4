import { didYouMean } from './did-you-mean.ts';
import type { ParameterValue } from './schema.ts';
import { isPlainObject } from './unknown-keys.ts';
import type { PathIssue } from './validate.ts';

export type Combination = Readonly<Record<string, ParameterValue>>;

export interface Expansion {
  combinations: Combination[];
  /** How many combinations `exclude:` removed. */
  excluded: number;
  issues: PathIssue[];
}

/** Keys of the raw case that are about expansion itself and are never substituted. */
export const EXPANSION_KEYS = ['parameters', 'exclude'] as const;

/**
 * The matrix of a parameterised case: every combination of the parameter lists, in the
 * order written, minus the excluded ones. `exclude` entries must name real parameters and
 * listed values: a typo there would otherwise silently exclude nothing.
 */
export function expandParameters(
  parameters: Readonly<Record<string, readonly ParameterValue[]>> | undefined,
  exclude: ReadonlyArray<Readonly<Record<string, ParameterValue>>> | undefined,
): Expansion {
  const names = Object.keys(parameters ?? {});
  const issues: PathIssue[] = [];
  if (!parameters || names.length === 0) {
    if (exclude && exclude.length > 0) issues.push({ path: ['exclude'], part: 'key', message: 'exclude: needs parameters: to exclude from' });
    return { combinations: [{}], excluded: 0, issues };
  }
  for (const name of names) {
    const seen = new Set<string>();
    parameters[name]!.forEach((value, index) => {
      const key = String(value);
      if (seen.has(key)) issues.push({ path: ['parameters', name, index], message: `'${key}' is listed twice` });
      seen.add(key);
    });
  }
  let combinations: Array<Record<string, ParameterValue>> = [{}];
  for (const name of names) {
    combinations = combinations.flatMap((partial) => parameters[name]!.map((value) => ({ ...partial, [name]: value })));
  }
  const rules = (exclude ?? []).map((rule, index) => {
    const match: Record<string, string> = {};
    let wrongKey = false;
    for (const [key, value] of Object.entries(rule)) {
      if (key === 'reason') continue;
      if (!names.includes(key)) {
        wrongKey = true;
        issues.push({ path: ['exclude', index, key], part: 'key', message: `'${key}' is not a parameter of this case (parameters: ${names.join(', ')})${didYouMean(key, names)}` });
        continue;
      }
      const listed = parameters[key]!.map(String);
      if (!listed.includes(String(value))) {
        issues.push({ path: ['exclude', index, key], message: `'${String(value)}' is not among ${key}'s values (${listed.join(', ')})${didYouMean(String(value), listed)}` });
      }
      match[key] = String(value);
    }
    if (Object.keys(match).length === 0 && !wrongKey) issues.push({ path: ['exclude', index], message: 'an exclude entry names parameter values, e.g. { target: free, method: madvise-hwpoison }' });
    return { index, match, used: false };
  });
  const kept = combinations.filter((combination) => {
    const matching = rules.filter((candidate) => Object.keys(candidate.match).length > 0 && Object.entries(candidate.match).every(([key, value]) => String(combination[key]) === value));
    for (const rule of matching) rule.used = true;
    return matching.length === 0;
  });
  for (const rule of rules) {
    if (!rule.used && Object.keys(rule.match).length > 0 && issues.length === 0) issues.push({ path: ['exclude', rule.index], message: 'this exclude entry matches no combination' });
  }
  if (kept.length === 0) issues.push({ path: ['exclude'], part: 'key', message: 'exclude: removes every combination; nothing is left to run' });
  return { combinations: kept, excluded: combinations.length - kept.length, issues };
}

const PLACEHOLDER = /\$\$\{|\$\{([^}]*)\}?/g;

/**
 * Replaces `${name}` in every string value (not in keys). A value that is only `${name}`
 * takes the parameter's own type; `$${` writes a literal `${` (for shell variables).
 */
export function substituteParameters(raw: unknown, combination: Combination, path: PropertyKey[] = []): { value: unknown; issues: PathIssue[]; used: Set<string> } {
  const issues: PathIssue[] = [];
  const used = new Set<string>();
  const names = Object.keys(combination);
  const walk = (value: unknown, at: PropertyKey[]): unknown => {
    if (typeof value === 'string') return substituteString(value, at);
    if (Array.isArray(value)) return value.map((item, index) => walk(item, [...at, index]));
    if (isPlainObject(value)) {
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) {
        if (key.includes('${')) issues.push({ path: [...at, key], part: 'key', message: 'parameters are substituted in values only, not in keys' });
        out[key] = walk(item, [...at, key]);
      }
      return out;
    }
    return value;
  };
  const substituteString = (text: string, at: PropertyKey[]): unknown => {
    const whole = /^\$\{([^}]*)\}$/.exec(text);
    if (whole && Object.hasOwn(combination, whole[1]!)) {
      used.add(whole[1]!);
      return combination[whole[1]!];
    }
    return text.replace(PLACEHOLDER, (match: string, name: string | undefined) => {
      if (match === '$${') return '${';
      if (!match.endsWith('}')) {
        issues.push({ path: at, message: `unclosed '\${' in '${text}' (write $\${ for a literal \${)` });
        return match;
      }
      if (name !== undefined && Object.hasOwn(combination, name)) {
        used.add(name);
        return String(combination[name]);
      }
      const known = names.length === 0 ? ': this case has no parameters' : didYouMean(name ?? '', names) || ` (parameters: ${names.join(', ')})`;
      issues.push({ path: at, message: `unknown parameter \${${name ?? ''}}${known} ($\${...} writes a literal \${...})` });
      return match;
    });
  };
  const value = walk(raw, path);
  return { value, issues, used };
}

/** "method=debugfs, target=anon": how problems and results name one expansion. */
export function describeCombination(combination: Combination): string {
  return Object.entries(combination)
    .map(([key, value]) => `${key}=${String(value)}`)
    .join(', ');
}

/**
 * What `when: { parameters: ... }` becomes once the combination is known: whether it holds
 * for this expansion, and how it was written (for reports). The condition schema accepts
 * only this shape under `parameters`, so a condition that skipped resolution cannot pass.
 */
export interface ResolvedParameterCondition {
  holds: boolean;
  text: string;
}

/**
 * Resolves every `when: { parameters: { NAME: VALUE | [VALUES] } }` of one substituted case
 * for its combination. It lets one matrix case carry the expectations that differ between
 * its combinations (a page type per target, a SIGBUS per method) instead of being split
 * into near-copies. Names must be the case's parameters and values among those listed, so
 * a typo cannot silently turn a check off.
 */
export function resolveParameterConditions(
  raw: unknown,
  combination: Combination,
  listed: Readonly<Record<string, readonly ParameterValue[]>>,
): { value: unknown; issues: PathIssue[] } {
  const issues: PathIssue[] = [];
  const names = Object.keys(listed);
  const resolve = (spec: unknown, at: PropertyKey[]): ResolvedParameterCondition | null => {
    if (!isPlainObject(spec) || Object.keys(spec).length === 0) {
      issues.push({ path: at, message: 'expected a mapping of parameter names to a value or a list of values, e.g. { method: [mce-srao, mce-srar] }' });
      return null;
    }
    if (names.length === 0) {
      issues.push({ path: at, part: 'key', message: 'this case has no parameters: a when: { parameters } condition needs parameters: to choose from' });
      return null;
    }
    let holds = true;
    const parts: string[] = [];
    for (const [name, wanted] of Object.entries(spec)) {
      const values = listed[name];
      if (!values) {
        issues.push({ path: [...at, name], part: 'key', message: `'${name}' is not a parameter of this case (parameters: ${names.join(', ')})${didYouMean(name, names)}` });
        holds = false;
        continue;
      }
      const accepted = Array.isArray(wanted) ? wanted : [wanted];
      const known = values.map(String);
      if (accepted.length === 0) issues.push({ path: [...at, name], message: `an empty list matches no combination; give at least one of ${known.join(', ')}` });
      accepted.forEach((value, index) => {
        const where = Array.isArray(wanted) ? [...at, name, index] : [...at, name];
        if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') issues.push({ path: where, message: `expected one of ${name}'s values (${known.join(', ')})` });
        else if (!known.includes(String(value))) issues.push({ path: where, message: `'${String(value)}' is not among ${name}'s values (${known.join(', ')})${didYouMean(String(value), known)}` });
      });
      if (!accepted.map(String).includes(String(combination[name]))) holds = false;
      parts.push(`${name}=${accepted.map(String).join('|')}`);
    }
    return { holds, text: parts.join(', ') };
  };
  const walk = (value: unknown, at: PropertyKey[]): unknown => {
    if (Array.isArray(value)) return value.map((item, index) => walk(item, [...at, index]));
    if (!isPlainObject(value)) return value;
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (key === 'when' && isPlainObject(item) && Object.hasOwn(item, 'parameters')) {
        const resolved = resolve(item['parameters'], [...at, key, 'parameters']);
        out[key] = { ...item, parameters: resolved ?? { holds: false, text: 'invalid' } };
      } else {
        out[key] = walk(item, [...at, key]);
      }
    }
    return out;
  };
  return { value: walk(raw, []), issues };
}
