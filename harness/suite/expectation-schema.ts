import { z } from 'zod';
import { idSchema, modifiersShape, targetNameSchema, type Xfail } from './common-schema.ts';
import { didYouMean } from './did-you-mean.ts';
import { parseEventMatcher, type EventMatcher } from './event-matcher.ts';
import { AT_LEAST_ONE, countSchema, type NumberMatcher } from './number-matcher.ts';
import type { SourceLocation } from './problems.ts';
import type { Requirement } from './requirement-schema.ts';
import { sigbusSchema, type SigbusMatcher } from './sigbus.ts';
import { FILE_CHECK_KEYS, looksLikeStatePath, parseFileCheck, parseStateCheck, STATE_ROOTS, type StateCheck } from './state-expectation.ts';
import { isPlainObject } from './unknown-keys.ts';
import { forwardIssues, parseInside, unknownKeyMessage, validate } from './validate.ts';

/** What is checked after the case's steps ran. */
export type ExpectationCheck =
  /** Kernel log events of the case (kernelEvents over its records) matching, counted. */
  | { kind: 'event'; event: EventMatcher; count: NumberMatcher }
  /** The before/after state diff (diffSnapshots). */
  | { kind: 'state'; path: string; state: StateCheck }
  /** SIGBUS the helper received: in any request's reply, or as an asynchronous event. */
  | { kind: 'sigbus'; sigbus: SigbusMatcher; count: NumberMatcher }
  /** How the helper process ended (HelperSession.ended). */
  | { kind: 'helper'; outcome: 'alive' | 'exited' | 'killed'; signal: 'BUS' | 'KILL' | null }
  /**
   * The target afterwards: helper.verify (data) and helper.pages (PFN moved). `since`: the PFN
   * is compared with the one right after that step (by id) instead of the one prepared.
   */
  | { kind: 'target'; target: string; data: 'intact' | 'corrupt' | null; pfn: 'moved' | 'same' | null; since: string | null }
  /** The guest crashed (parse-crashes), optionally with a title matching a regex. */
  | { kind: 'crash'; title: string | null };

export interface Expectation {
  index: number;
  check: ExpectationCheck;
  /** Checked only on kernels where this holds ("not applicable" elsewhere). */
  when: Requirement[] | null;
  xfail: Xfail | null;
  /**
   * false (default): a value the kernel does not have (per-node stats on 6.1) is reported
   * as "not available" and the expectation fails as such; true: it is skipped as such.
   */
  ifAvailable: boolean;
  location: SourceLocation;
  /** The expectation as written in the suite. */
  text: string;
}

export type ParsedExpectation = Omit<Expectation, 'index' | 'location' | 'text'>;

const KIND_KEYS = ['event', 'sigbus', 'helper', 'target', 'crash', 'file'] as const;
const MODIFIERS = ['when', 'xfail'];

const HELPER_OUTCOMES = {
  alive: { outcome: 'alive', signal: null },
  exited: { outcome: 'exited', signal: null },
  killed: { outcome: 'killed', signal: null },
  'killed-by-sigbus': { outcome: 'killed', signal: 'BUS' },
  'killed-by-sigkill': { outcome: 'killed', signal: 'KILL' },
} as const;

const modifiersSchema = z.object(modifiersShape);
const stateModifiersSchema = z.object({ ...modifiersShape, ifAvailable: z.boolean().optional() });

const helperSchema = z.enum(Object.keys(HELPER_OUTCOMES) as [keyof typeof HELPER_OUTCOMES]);
const crashSchema = z
  .union([z.literal('any'), z.object({ title: z.string().min(1) })])
  .superRefine((value, ctx) => {
    if (value === 'any') return;
    try {
      new RegExp(value.title);
    } catch (error) {
      ctx.addIssue({ code: 'custom', path: ['title'], message: `bad regex: ${error instanceof Error ? error.message : String(error)}` });
    }
  })
  .transform((value) => (value === 'any' ? null : value.title));
const targetCheckSchema = z.object({
  target: targetNameSchema,
  data: z.enum(['intact', 'corrupt']).optional(),
  pfn: z.enum(['moved', 'same']).optional(),
  since: idSchema.optional(),
});

type Ctx = z.RefinementCtx;

/** One expectation item: `event:`, `sigbus:`, `helper:`, `target:`, `crash:` or a state path key. */
export const expectationSchema = z.unknown().transform((value, ctx): ParsedExpectation => {
  if (!isPlainObject(value)) {
    ctx.addIssue({ code: 'custom', message: `expected an expectation: a mapping with one of ${KIND_KEYS.join(', ')} or a state path (${STATE_ROOTS.join('.…, ')}.…)` });
    return z.NEVER;
  }
  const keys = Object.keys(value);
  const kinds = keys.filter((key) => (KIND_KEYS as readonly string[]).includes(key) || looksLikeStatePath(key));
  if (kinds.length !== 1) {
    if (kinds.length > 1) {
      ctx.addIssue({ code: 'custom', path: [kinds[1]!], params: { part: 'key' }, message: `one check per expectation: this item has both ${kinds[0]} and ${kinds[1]}; make them two items` });
    } else {
      const strays = keys.filter((key) => !MODIFIERS.includes(key) && key !== 'count' && key !== 'ifAvailable');
      const candidates = [...KIND_KEYS, ...STATE_ROOTS];
      for (const stray of strays) ctx.addIssue({ code: 'custom', path: [stray], params: { part: 'key' }, message: `unknown expectation '${stray}'${didYouMean(stray, candidates) || ` (expected ${KIND_KEYS.join(', ')} or a state path such as meminfo.HardwareCorrupted)`}` });
      if (strays.length === 0) ctx.addIssue({ code: 'custom', message: `an expectation needs one of ${KIND_KEYS.join(', ')} or a state path` });
    }
    return z.NEVER;
  }
  const key = kinds[0]!;
  if (key === 'event') return eventExpectation(value, ctx);
  if (key === 'file') return fileExpectation(value, ctx);
  if (looksLikeStatePath(key)) return stateExpectation(key, value, ctx);
  return otherExpectation(key as Exclude<(typeof KIND_KEYS)[number], 'event' | 'file'>, value, ctx);
});

function eventExpectation(value: Record<string, unknown>, ctx: Ctx): ParsedExpectation {
  const modifiers = [...MODIFIERS, 'count'];
  const { matcher, issues } = parseEventMatcher(value, modifiers);
  forwardIssues(ctx, issues);
  const rest = validate(z.object({ ...modifiersShape, count: countSchema.optional() }), pick(value, modifiers));
  if (!rest.ok) forwardIssues(ctx, rest.issues);
  if (!matcher || !rest.ok) return z.NEVER;
  return { check: { kind: 'event', event: matcher, count: rest.data.count ?? AT_LEAST_ONE }, when: rest.data.when ?? null, xfail: rest.data.xfail ?? null, ifAvailable: false };
}

function stateExpectation(key: string, value: Record<string, unknown>, ctx: Ctx): ParsedExpectation {
  const parsed = parseStateCheck(key, value[key]);
  forwardIssues(ctx, parsed.issues, [key]);
  const allowed = [key, ...MODIFIERS, 'ifAvailable'];
  for (const other of Object.keys(value)) if (!allowed.includes(other)) ctx.addIssue({ code: 'custom', path: [other], params: { part: 'key' }, message: unknownKeyMessage(other, allowed) });
  const rest = parseInside(stateModifiersSchema, pick(value, allowed.slice(1)), ctx);
  if (!parsed.check || rest === z.NEVER) return z.NEVER;
  return { check: { kind: 'state', path: key, state: parsed.check }, when: rest.when ?? null, xfail: rest.xfail ?? null, ifAvailable: rest.ifAvailable ?? false };
}

/** `file: /proc/sys/vm/nr_hugepages` with equals, matches, before, delta: a state check on any /proc or /sys file. */
function fileExpectation(value: Record<string, unknown>, ctx: Ctx): ParsedExpectation {
  const allowed = [...FILE_CHECK_KEYS, ...MODIFIERS, 'ifAvailable'];
  for (const other of Object.keys(value)) if (!allowed.includes(other)) ctx.addIssue({ code: 'custom', path: [other], params: { part: 'key' }, message: unknownKeyMessage(other, allowed) });
  const parsed = parseFileCheck(pick(value, FILE_CHECK_KEYS));
  forwardIssues(ctx, parsed.issues);
  const rest = parseInside(stateModifiersSchema, pick(value, [...MODIFIERS, 'ifAvailable']), ctx);
  if (!parsed.check || rest === z.NEVER) return z.NEVER;
  return { check: { kind: 'state', path: `file ${value['file'] as string}`, state: parsed.check }, when: rest.when ?? null, xfail: rest.xfail ?? null, ifAvailable: rest.ifAvailable ?? false };
}

function otherExpectation(key: 'sigbus' | 'helper' | 'target' | 'crash', value: Record<string, unknown>, ctx: Ctx): ParsedExpectation {
  const extra = key === 'sigbus' ? ['count'] : key === 'target' ? ['data', 'pfn', 'since'] : [];
  const allowed = [key, ...extra, ...MODIFIERS];
  for (const other of Object.keys(value)) if (!allowed.includes(other)) ctx.addIssue({ code: 'custom', path: [other], params: { part: 'key' }, message: unknownKeyMessage(other, allowed) });
  const modifiers = parseInside(modifiersSchema, pick(value, MODIFIERS), ctx);
  const common = modifiers === z.NEVER ? null : { when: modifiers.when ?? null, xfail: modifiers.xfail ?? null, ifAvailable: false };
  switch (key) {
    case 'sigbus': {
      const parsed = parseInside(z.object({ sigbus: sigbusSchema, count: countSchema.optional() }), pick(value, ['sigbus', 'count']), ctx);
      if (parsed === z.NEVER || !common) return z.NEVER;
      // `sigbus: none` is a count of zero of any SIGBUS.
      if (parsed.sigbus === 'none') {
        if (parsed.count) ctx.addIssue({ code: 'custom', path: ['count'], message: 'sigbus: none already means a count of 0' });
        return { check: { kind: 'sigbus', sigbus: { code: null, addr: null, lsb: null, async: null }, count: { op: 'eq', value: 0 } }, ...common };
      }
      return { check: { kind: 'sigbus', sigbus: parsed.sigbus, count: parsed.count ?? AT_LEAST_ONE }, ...common };
    }
    case 'helper': {
      const parsed = parseInside(z.object({ helper: helperSchema }), pick(value, ['helper']), ctx);
      if (parsed === z.NEVER || !common) return z.NEVER;
      return { check: { kind: 'helper', ...HELPER_OUTCOMES[parsed.helper] }, ...common };
    }
    case 'target': {
      const parsed = parseInside(targetCheckSchema, pick(value, ['target', 'data', 'pfn', 'since']), ctx);
      if (parsed === z.NEVER || !common) return z.NEVER;
      if (!parsed.data && !parsed.pfn) {
        ctx.addIssue({ code: 'custom', path: ['target'], message: 'say what to check: data: intact|corrupt and/or pfn: moved|same' });
        return z.NEVER;
      }
      if (parsed.since !== undefined && !parsed.pfn) {
        ctx.addIssue({ code: 'custom', path: ['since'], message: 'since: STEP-ID says from when pfn: moved|same counts; add pfn:' });
        return z.NEVER;
      }
      return { check: { kind: 'target', target: parsed.target, data: parsed.data ?? null, pfn: parsed.pfn ?? null, since: parsed.since ?? null }, ...common };
    }
    case 'crash': {
      const parsed = parseInside(z.object({ crash: crashSchema }), pick(value, ['crash']), ctx);
      if (parsed === z.NEVER || !common) return z.NEVER;
      return { check: { kind: 'crash', title: parsed.crash }, ...common };
    }
  }
}

function pick(value: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((key) => key in value).map((key) => [key, value[key]]));
}

