import type { KernelEvent, KernelEventType } from '../kernel-log/events/kernel-event.ts';
import { normaliseHex } from '../kernel-log/events/pfn.ts';
import { didYouMean } from './did-you-mean.ts';
import { EVENT_TYPES, eventFields, isEventType, type FieldKind } from './event-vocabulary.ts';
import { isPlainObject } from './unknown-keys.ts';
import type { PathIssue } from './validate.ts';
import { formatValueRef, parseValueRef, refTarget, type ValueRef } from './value-ref.ts';

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
      return typeof value === 'number' && Number.isInteger(value) ? { kind: 'equals', value } : `expected a whole number${field === 'pid' ? ' or $helper.pid, $NAME.pid' : ''}, got ${JSON.stringify(value)}`;
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
      return `expected a string or { regex: '...' }${field === 'comm' ? ' or $helper.comm, $NAME.comm' : ''}, got ${JSON.stringify(value)}`;
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

function checkRefFits(kind: FieldKind, ref: ValueRef, _field: string): ValueMatcher | string {
  const isPfn = (ref.kind === 'target' && (ref.property === 'pfn' || ref.property === 'now')) || (ref.kind === 'target-after' && ref.property === 'pfn');
  const isHex = (ref.kind === 'target' && (ref.property === 'vaddr' || ref.property === 'phys')) || (ref.kind === 'target-after' && ref.property === 'phys') || isPfn;
  const isProcess = ref.kind === 'helper' || ref.kind === 'program';
  const ok =
    (kind === 'pfn' && isPfn) ||
    (kind === 'hex' && isHex) ||
    (kind === 'number' && isProcess && ref.property === 'pid') ||
    (kind === 'string' && isProcess && ref.property === 'comm');
  if (ok) return { kind: 'ref', ref };
  const wanted = kind === 'pfn' ? '$t0, $t0.now or $t0@STEP-ID (a PFN)' : kind === 'hex' ? '$t0.vaddr or $t0.phys' : kind === 'number' ? '$helper.pid or $NAME.pid' : kind === 'string' ? '$helper.comm or $NAME.comm' : 'a literal';
  return `${formatValueRef(ref)} does not fit here; expected ${wanted}`;
}

/** Every target a matcher refers to (for the "is it defined" check). */
export function referencedTargets(fields: Readonly<Record<string, ValueMatcher>>): Array<{ field: string; target: string }> {
  return Object.entries(fields).flatMap(([field, matcher]) => {
    const target = matcher.kind === 'ref' ? refTarget(matcher.ref) : null;
    return target === null ? [] : [{ field, target }];
  });
}

/** Every reference a matcher holds, with its field. */
export function referencesOf(fields: Readonly<Record<string, ValueMatcher>>): Array<{ field: string; ref: ValueRef }> {
  return Object.entries(fields).flatMap(([field, matcher]) => (matcher.kind === 'ref' ? [{ field, ref: matcher.ref }] : []));
}

/**
 * What the runner knows when it resolves references. `now`, `after`, `program` and `block`
 * are optional: a reference they would answer is then unknown (undefined).
 */
export interface RefValues {
  target(name: string): { pfn: bigint; vaddr?: bigint } | undefined;
  helper?: { pid: number; comm: string };
  /** `$t0.now`: the PFN the target's mapping has now (read beforehand for the references in use). */
  now?(name: string): bigint | undefined;
  /** `$t0@ID`: the PFN right after step ID. */
  after?(name: string, step: string): bigint | undefined;
  /** `$NAME.pid`, `$NAME.comm`: a program step's process. */
  program?(name: string): { pid: number; comm: string } | undefined;
  /** `.block`: the memory block (`memory5`) holding a PFN. */
  block?(pfn: bigint): string | undefined;
}

/** The PFN a target reference reads (before .phys or .block), if known. */
function refPfn(ref: Extract<ValueRef, { kind: 'target' | 'target-after' }>, values: RefValues): bigint | undefined {
  if (ref.kind === 'target-after') return values.after?.(ref.target, ref.step);
  if (ref.property === 'now') return values.now?.(ref.target);
  return values.target(ref.target)?.pfn;
}

/** Resolves a reference to the value an event field is compared with; undefined if unknown at run time. */
export function resolveRef(ref: ValueRef, values: RefValues): string | number | undefined {
  if (ref.kind === 'helper') return values.helper?.[ref.property];
  if (ref.kind === 'program') return values.program?.(ref.program)?.[ref.property];
  if (ref.kind === 'target' && ref.property === 'vaddr') {
    const vaddr = values.target(ref.target)?.vaddr;
    return vaddr === undefined ? undefined : normaliseHex(vaddr);
  }
  const pfn = refPfn(ref, values);
  if (pfn === undefined) return undefined;
  if (ref.property === 'phys') return normaliseHex(pfn << 12n);
  if (ref.property === 'block') return values.block?.(pfn);
  return normaliseHex(pfn);
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
