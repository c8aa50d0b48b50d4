import { z } from 'zod';

/** Exactly, at least or at most a number: for event counts and for state deltas. */
export interface NumberMatcher {
  op: 'eq' | 'ge' | 'le';
  value: number;
}

export const AT_LEAST_ONE: NumberMatcher = { op: 'ge', value: 1 };

const FORM = /^(at least|at most|>=|<=|=)?\s*([+-]?\d+)\s*(kB)?$/;

/** `2`, `+4`, `-1`, `+4 kB`, `at least 1`, `at most 3`, and for counts `none`. */
export function parseNumberMatcher(value: unknown, options: { none: boolean; unit?: 'kB' }): NumberMatcher | string {
  if (typeof value === 'number') return Number.isInteger(value) ? { op: 'eq', value } : `expected a whole number, got ${value}`;
  const forms = `a number${options.unit ? ` (in ${options.unit})` : ''} such as ${options.none ? '1, none, at least 1 or at most 2' : '+4, -1, 0, at least 4 or at most 8'}`;
  if (typeof value !== 'string') return `expected ${forms}`;
  const text = value.trim();
  if (options.none && text === 'none') return { op: 'eq', value: 0 };
  const match = FORM.exec(text);
  if (!match || (match[3] && !options.unit)) return `expected ${forms}, got '${text}'`;
  const op = match[1] === 'at least' || match[1] === '>=' ? 'ge' : match[1] === 'at most' || match[1] === '<=' ? 'le' : 'eq';
  return { op, value: Number(match[2]) };
}

export function numberMatcherSchema(options: { none: boolean; unit?: 'kB' }) {
  return z.unknown().transform((value, ctx): NumberMatcher => {
    const parsed = parseNumberMatcher(value, options);
    if (typeof parsed === 'string') {
      ctx.addIssue({ code: 'custom', message: parsed });
      return z.NEVER;
    }
    if (options.none && parsed.value < 0) {
      ctx.addIssue({ code: 'custom', message: 'a count cannot be negative' });
      return z.NEVER;
    }
    return parsed;
  });
}

export const countSchema = numberMatcherSchema({ none: true });

export function numberMatches(matcher: NumberMatcher, actual: number): boolean {
  return matcher.op === 'eq' ? actual === matcher.value : matcher.op === 'ge' ? actual >= matcher.value : actual <= matcher.value;
}

export function describeNumberMatcher(matcher: NumberMatcher): string {
  return matcher.op === 'eq' ? String(matcher.value) : `${matcher.op === 'ge' ? 'at least' : 'at most'} ${matcher.value}`;
}
