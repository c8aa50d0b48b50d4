import type { KernelEvent, KernelEventType } from '../kernel-log/events/kernel-event.ts';
import { normaliseHex } from '../kernel-log/events/pfn.ts';
import { didYouMean } from './did-you-mean.ts';
import { EVENT_TYPES, eventFields, isEventType, type FieldKind } from './event-vocabulary.ts';
import { isPlainObject } from './unknown-keys.ts';
import type { PathIssue } from './validate.ts';
import { formatValueRef, parseValueRef, type ValueRef } from './value-ref.ts';

/** How one field of a kernel event must look. Hex values are normalised ("0x60acc"). */
export type ValueMatcher =
  | { kind: 'equals'; value: string | number | boolean }
  | { kind: 'ref'; ref: ValueRef }
  | { kind: 'regex'; pattern: string };

/** A kernel event type and the fields it must have; fields not named may be anything. */
export interface EventMatcher {
  type: KernelEventType;
  fields: Record<string, ValueMatcher>;
}

/**
 * Reads `{ event: memory-failure, pfn: $t0, result: Recovered }` (fields flat beside
 * `event`). Keys in `modifiers` belong to the enclosing item and are left alone.
 */
export function parseEventMatcher(raw: Record<string, unknown>, modifiers: readonly string[]): { matcher?: EventMatcher; issues: PathIssue[] } {
  const type = raw['event'];
  if (typeof type !== 'string' || !isEventType(type)) {
    const hint = typeof type === 'string' ? didYouMean(type, EVENT_TYPES) : '';
    return { issues: [{ path: ['event'], message: `${typeof type === 'string' ? `unknown kernel event type '${type}'` : 'expected a kernel event type'}${hint || ` (one of: ${EVENT_TYPES.join(', ')})`}` }] };
  }
  const known = eventFields(type);
  const issues: PathIssue[] = [];
  const fields: Record<string, ValueMatcher> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (key === 'event' || modifiers.includes(key)) continue;
    const kind = known[key];
    if (!kind) {
      const names = Object.keys(known);
      const hint = didYouMean(key, [...names, ...modifiers]);
      issues.push({ path: [key], part: 'key', message: `'${type}' events have no field '${key}'${hint || (names.length ? ` (fields: ${names.join(', ')})` : ' (it has no fields)')}` });
      continue;
    }
    const parsed = parseFieldValue(kind, value, key);
    if (typeof parsed === 'string') issues.push({ path: [key], message: parsed });
    else fields[key] = parsed;
  }
  return issues.length > 0 ? { issues } : { matcher: { type, fields }, issues };
}

export function parseFieldValue(kind: FieldKind, value: unknown, field: string): ValueMatcher | string {
  if (typeof value === 'string' && value.startsWith('$') && !value.startsWith('${')) {
    const ref = parseValueRef(value);
    if (typeof ref === 'string') return ref;
    if (ref) return checkRefFits(kind, ref, field);
  }
  if (typeof kind === 'object') {
    if (typeof value === 'string' && kind.oneOf.includes(value)) return { kind: 'equals', value };
    return `expected one of ${kind.oneOf.join(', ')}, got ${JSON.stringify(value)}${typeof value === 'string' ? didYouMean(value, kind.oneOf) : ''}`;
  }
  switch (kind) {
    case 'pfn':
    case 'hex':
      return hexValue(value, field, kind);
    case 'number':
      return typeof value === 'number' && Number.isInteger(value) ? { kind: 'equals', value } : `expected a whole number${field === 'pid' ? ' or $helper.pid' : ''}, got ${JSON.stringify(value)}`;
    case 'boolean':
      return typeof value === 'boolean' ? { kind: 'equals', value } : `expected true or false, got ${JSON.stringify(value)}`;
    case 'string':
      if (typeof value === 'string') return { kind: 'equals', value };
      if (isPlainObject(value) && Object.keys(value).length === 1 && typeof value['regex'] === 'string') {
        try {
          new RegExp(value['regex']);
        } catch (error) {
          return `bad regex: ${error instanceof Error ? error.message : String(error)}`;
        }
        return { kind: 'regex', pattern: value['regex'] };
      }
      return `expected a string or { regex: '...' }${field === 'comm' ? ' or $helper.comm' : ''}, got ${JSON.stringify(value)}`;
  }
}

function hexValue(value: unknown, field: string, kind: 'pfn' | 'hex'): ValueMatcher | string {
  const what = kind === 'pfn' ? `a PFN ($t0, or hex such as 0x60acc)` : `a hex value ($t0.vaddr, $t0.phys, or hex such as 0x7f12000)`;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) return `${value} cannot be exact as a YAML number; quote it: '0x...'`;
    return { kind: 'equals', value: normaliseHex(value) };
  }
  if (typeof value === 'string' && /^0x[0-9a-fA-F]+$/.test(value)) return { kind: 'equals', value: normaliseHex(value) };
  return `expected ${what}, got ${JSON.stringify(value)}`;
}

function checkRefFits(kind: FieldKind, ref: ValueRef, field: string): ValueMatcher | string {
  const ok =
    (kind === 'pfn' && ref.kind === 'target' && ref.property === 'pfn') ||
    (kind === 'hex' && ref.kind === 'target') ||
    (kind === 'number' && ref.kind === 'helper' && ref.property === 'pid') ||
    (kind === 'string' && ref.kind === 'helper' && ref.property === 'comm');
  if (ok) return { kind: 'ref', ref };
  const wanted = kind === 'pfn' ? '$t0 (a PFN)' : kind === 'hex' ? '$t0.vaddr or $t0.phys' : kind === 'number' ? '$helper.pid' : kind === 'string' ? '$helper.comm' : 'a literal';
  return `${formatValueRef(ref)} does not fit here; expected ${wanted}`;
}

/** Every target a matcher refers to (for the "is it defined" check). */
export function referencedTargets(fields: Readonly<Record<string, ValueMatcher>>): Array<{ field: string; target: string }> {
  return Object.entries(fields).flatMap(([field, matcher]) => (matcher.kind === 'ref' && matcher.ref.kind === 'target' ? [{ field, target: matcher.ref.target }] : []));
}

/** What the runner knows when it resolves references. */
export interface RefValues {
  target(name: string): { pfn: bigint; vaddr?: bigint } | undefined;
  helper?: { pid: number; comm: string };
}

/** Resolves a reference to the value an event field is compared with; undefined if unknown at run time. */
export function resolveRef(ref: ValueRef, values: RefValues): string | number | undefined {
  if (ref.kind === 'helper') return values.helper?.[ref.property];
  const target = values.target(ref.target);
  if (!target) return undefined;
  if (ref.property === 'pfn') return normaliseHex(target.pfn);
  if (ref.property === 'phys') return normaliseHex(target.pfn << 12n);
  return target.vaddr === undefined ? undefined : normaliseHex(target.vaddr);
}

/** Whether a parsed kernel event satisfies a matcher. */
export function eventMatches(matcher: EventMatcher, event: KernelEvent, values: RefValues): boolean {
  if (event.type !== matcher.type) return false;
  const record = event as unknown as Record<string, unknown>;
  return Object.entries(matcher.fields).every(([field, want]) => valueMatches(want, record[field], values));
}

export function valueMatches(want: ValueMatcher, actual: unknown, values: RefValues): boolean {
  if (actual === undefined) return false;
  if (want.kind === 'regex') return typeof actual === 'string' && new RegExp(want.pattern).test(actual);
  const expected = want.kind === 'ref' ? resolveRef(want.ref, values) : want.value;
  return expected !== undefined && expected === actual;
}
