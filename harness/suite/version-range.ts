import { z } from 'zod';
import type { KernelVersion } from './kernel-version.ts';

export type VersionOperator = '>=' | '>' | '<=' | '<' | '=' | '!=';

/** One bound. Without a patch level it names a whole series: `<=6.12` includes 6.12.117. */
export interface VersionComparator {
  op: VersionOperator;
  major: number;
  minor: number;
  patch: number | null;
}

/** `'>=6.1 <6.12 || >=6.13.2'`: space means and, `||` means or. */
export interface VersionRange {
  text: string;
  anyOf: VersionComparator[][];
}

/** true, false, or cannot tell (the kernel's patch level is unknown and the bound needs it). */
export type Tristate = boolean | 'unknown';

const COMPARATOR = /^(>=|<=|==|=|!=|>|<)?(\d+)\.(\d+)(?:\.(\d+))?$/;

export function parseVersionRange(text: string): { range: VersionRange } | { error: string } {
  const alternatives = text.split('||').map((part) => part.trim());
  const anyOf: VersionComparator[][] = [];
  for (const alternative of alternatives) {
    if (alternative === '') return { error: `empty alternative in version range '${text}'` };
    // Allow ">= 6.1" as well as ">=6.1": join an operator to the number after it.
    const words = alternative.replace(/(>=|<=|==|!=|=|>|<)\s+/g, '$1').split(/\s+/);
    const all: VersionComparator[] = [];
    for (const word of words) {
      const match = COMPARATOR.exec(word);
      if (!match) return { error: `'${word}' is not a version bound; expected e.g. >=6.12, <6.12, 6.1 (a series) or =6.1.192` };
      const op = (match[1] === '==' ? '=' : (match[1] ?? '=')) as VersionOperator;
      all.push({ op, major: Number(match[2]), minor: Number(match[3]), patch: match[4] === undefined ? null : Number(match[4]) });
    }
    anyOf.push(all);
  }
  return { range: { text: text.trim(), anyOf } };
}

export function versionInRange(version: KernelVersion, range: VersionRange): Tristate {
  let result: Tristate = false;
  for (const all of range.anyOf) {
    const clause = and(all.map((comparator) => satisfies(version, comparator)));
    if (clause === true) return true;
    if (clause === 'unknown') result = 'unknown';
  }
  return result;
}

function and(values: Tristate[]): Tristate {
  if (values.includes(false)) return false;
  return values.includes('unknown') ? 'unknown' : true;
}

function satisfies(version: KernelVersion, bound: VersionComparator): Tristate {
  const series = version.major - bound.major || version.minor - bound.minor;
  if (bound.patch === null) {
    switch (bound.op) {
      case '>=': return series >= 0;
      case '>': return series > 0;
      case '<=': return series <= 0;
      case '<': return series < 0;
      case '=': return series === 0;
      case '!=': return series !== 0;
    }
  }
  let order: number;
  if (series !== 0) order = series;
  else if (version.patch === null) return 'unknown';
  else order = version.patch - bound.patch;
  switch (bound.op) {
    case '>=': return order >= 0;
    case '>': return order > 0;
    case '<=': return order <= 0;
    case '<': return order < 0;
    case '=': return order === 0;
    case '!=': return order !== 0;
  }
}

/**
 * A kernel version range in a suite. Numbers are refused: YAML reads `6.10` as 6.1.
 */
export const versionRangeSchema = z.unknown().transform((value, ctx): VersionRange => {
  if (typeof value === 'number') {
    ctx.addIssue({ code: 'custom', message: `quote the version: '${value}' (YAML reads an unquoted version as a number, and 6.10 as 6.1)` });
    return z.NEVER;
  }
  if (typeof value !== 'string') {
    ctx.addIssue({ code: 'custom', message: "expected a kernel version range such as '>=6.12' or '<6.12' (quoted)" });
    return z.NEVER;
  }
  const parsed = parseVersionRange(value);
  if ('error' in parsed) {
    ctx.addIssue({ code: 'custom', message: parsed.error });
    return z.NEVER;
  }
  return parsed.range;
});
