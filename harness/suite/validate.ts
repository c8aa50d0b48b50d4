import { z } from 'zod';
import { didYouMean } from './did-you-mean.ts';
import { findUnknownKeys } from './unknown-keys.ts';

/** A problem at a path of the plain data; `part: 'key'` points at the key rather than its value. */
export interface PathIssue {
  path: PropertyKey[];
  message: string;
  part?: 'key' | 'value';
}

export type Validated<T> = { ok: true; data: T; issues: [] } | { ok: false; issues: PathIssue[] };

/** Keys that are not known yet but planned: their message says so instead of "unknown key". */
export type PlannedKeys = Readonly<Record<string, string>>;

/**
 * zod plus the two things zod does not do for us: unknown keys are errors (with a
 * suggestion), and every message says what was expected in suite-author terms.
 */
export function validate<S extends z.ZodType>(schema: S, value: unknown, planned: PlannedKeys = {}): Validated<z.output<S>> {
  const issues: PathIssue[] = [];
  for (const unknown of findUnknownKeys(schema, value)) {
    const note = planned[unknown.key];
    issues.push({ path: unknown.path, part: 'key', message: note ?? unknownKeyMessage(unknown.key, unknown.known) });
  }
  const parsed = schema.safeParse(value, { reportInput: true });
  if (!parsed.success) issues.push(...parsed.error.issues.flatMap((issue) => describeIssue(issue, value)));
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, data: parsed.data as z.output<S>, issues: [] };
}

export function unknownKeyMessage(key: string, known: readonly string[]): string {
  const hint = didYouMean(key, known);
  if (hint) return `unknown key '${key}'${hint}`;
  return known.length > 0 && known.length <= 16 ? `unknown key '${key}' (expected one of: ${known.join(', ')})` : `unknown key '${key}'`;
}

/**
 * Runs a sub-schema from inside a transform (dispatch on the kind of a step or an
 * expectation) and hands its issues to the enclosing parse, already worded.
 */
export function parseInside<S extends z.ZodType>(schema: S, value: unknown, ctx: z.RefinementCtx, planned?: PlannedKeys): z.output<S> | typeof z.NEVER {
  const result = validate(schema, value, planned);
  if (result.ok) return result.data;
  forwardIssues(ctx, result.issues);
  return z.NEVER;
}

export function forwardIssues(ctx: z.RefinementCtx, issues: readonly PathIssue[], prefix: readonly PropertyKey[] = []): void {
  for (const issue of issues) {
    ctx.addIssue({ code: 'custom', message: issue.message, path: [...prefix, ...issue.path], params: { worded: true, part: issue.part ?? 'value' }, input: undefined });
  }
}

function describeIssue(issue: z.core.$ZodIssue, root: unknown): PathIssue[] {
  const path = [...issue.path];
  switch (issue.code) {
    case 'custom': {
      const params = (issue.params ?? {}) as { worded?: boolean; part?: 'key' | 'value' };
      return [{ path, message: issue.message, part: params.part ?? 'value' }];
    }
    case 'invalid_type': {
      const input = valueAt(root, path);
      if (input === undefined) {
        const key = path[path.length - 1];
        return [{ path, message: typeof key === 'string' ? `missing required key '${key}' (${article(issue.expected)})` : `missing ${article(issue.expected)}` }];
      }
      return [{ path, message: `expected ${article(issue.expected)}, got ${describeValue(input)}` }];
    }
    case 'invalid_value': {
      const input = valueAt(root, path);
      const values = issue.values.map((v) => String(v));
      const hint = typeof input === 'string' ? didYouMean(input, values) : '';
      const shown = values.length <= 20 ? values.join(', ') : `${values.slice(0, 20).join(', ')}, ...`;
      return [{ path, message: `expected one of ${shown}, got ${describeValue(input)}${hint}` }];
    }
    case 'invalid_key': {
      const key = path[path.length - 1];
      const why = issue.issues.flatMap((inner) => describeIssue(inner, key)).map((inner) => inner.message.replace(/^.*?: expected /, 'expected '));
      return [{ path, part: 'key', message: `'${String(key)}' is not a valid key here${why.length ? `: ${why.join('; ')}` : ''}` }];
    }
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({ path: [...path, key], part: 'key' as const, message: `unknown key '${key}'` }));
    case 'too_small':
      return [{ path, message: issue.origin === 'array' ? `needs at least ${String(issue.minimum)} item${Number(issue.minimum) === 1 ? '' : 's'}` : issue.origin === 'string' ? `must not be empty` : `must be ${issue.inclusive ? 'at least' : 'more than'} ${String(issue.minimum)}` }];
    case 'too_big':
      return [{ path, message: issue.origin === 'array' ? `takes at most ${String(issue.maximum)} items` : issue.origin === 'string' ? `is longer than ${String(issue.maximum)} characters` : `must be ${issue.inclusive ? 'at most' : 'less than'} ${String(issue.maximum)}` }];
    case 'invalid_format':
      return [{ path, message: issue.message.startsWith('Invalid') ? `${describeValue(valueAt(root, path))} is not valid (${issue.format}${'pattern' in issue && issue.pattern ? ` ${String(issue.pattern)}` : ''})` : `${describeValue(valueAt(root, path))}: expected ${issue.message}` }];
    case 'invalid_union':
      return [{ path, message: issue.message && issue.message !== 'Invalid input' ? issue.message : `${describeValue(valueAt(root, path))} is not any of the accepted forms` }];
    default:
      return [{ path, message: issue.message }];
  }
}

function article(expected: string): string {
  const words: Record<string, string> = { object: 'a mapping', array: 'a list', string: 'a string', number: 'a number', int: 'an integer', boolean: 'true or false' };
  return words[expected] ?? expected;
}

export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `'${value.length > 60 ? `${value.slice(0, 57)}...` : value}'`;
  return String(value);
}

/** The plain value at a path, or undefined. */
export function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = root;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current;
}
