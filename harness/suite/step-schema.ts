import { z } from 'zod';
import type { CorruptFilter } from '../inject/debugfs-hwpoison.ts';
import { INJECTION_METHODS, type InjectionMethod } from '../inject/injection.ts';
import { BLOCK_STATES, type BlockStateRequest } from '../inject/memory-block.ts';
import { TARGET_KIND_NAMES, type TargetKind } from '../inject/target-kind-traits.ts';
import { placementProblem, type TargetPlacement } from '../inject/placement-spec.ts';
import { HUGEPAGE_SIZES } from '../inject/hugetlb-pool.ts';
import { knobProblems, type TargetKnobs } from '../inject/target-knobs.ts';
import { idSchema, modifiersShape, targetNameSchema, type Xfail } from './common-schema.ts';
import { didYouMean } from './did-you-mean.ts';
import { durationSchema } from './duration.ts';
import { parseEventMatcher, type EventMatcher } from './event-matcher.ts';
import type { SourceLocation } from './problems.ts';
import type { Requirement } from './requirement-schema.ts';
import { sigbusSchema, type SigbusMatcher } from './sigbus.ts';
import type { BlockRef } from './state-expectation.ts';
import { cgroupStepSchema, type CgroupAction } from './cgroup-schema.ts';
import { isPlainObject } from './unknown-keys.ts';
import { forwardIssues, parseInside, unknownKeyMessage } from './validate.ts';
import { parseValueRef } from './value-ref.ts';
import { programDefaultExpect, programStepSchema, signalOutcomeSchema, type ProgramAction, type SignalName } from './program-schema.ts';

/**
 * The memory blocks a memoryBlock step acts on: one by name or through a target, or every
 * block of a NUMA node, of a physical address range, or of a memory device (DIMM, NVDIMM,
 * virtio-mem) that is not yet in the requested state.
 */
export type BlockSelection =
  | BlockRef
  | { kind: 'node'; node: number }
  | { kind: 'range'; start: bigint; end: bigint }
  | { kind: 'device'; id: string };

/** What one step does; each maps onto one existing harness call (named in the comment). */
export type StepAction =
  /** setUpTarget(guest, helper, { kind: targetKind, name, placement, knobs }) */
  | { kind: 'target'; name: string; targetKind: TargetKind; placement?: TargetPlacement; knobs?: TargetKnobs }
  /** helper.fill(target, seed) */
  | { kind: 'fill'; target: string; seed: number }
  /** helper.verify(target, seed); seed null: the target's last fill seed */
  | { kind: 'verify'; target: string; seed: number | null }
  /** helper.access(target, index, mode); index null: the target's own page (its `index:`) */
  | { kind: 'access'; target: string; index: number | null; mode: 'read' | 'write' }
  /** helper.fsync(target) / helper.msync(target) / helper.release(target) */
  | { kind: 'fsync' | 'msync' | 'release'; target: string }
  /** helper.setMceKill(policy): prctl(PR_MCE_KILL) for the helper */
  | { kind: 'mceKill'; policy: 'early' | 'late' | 'default' }
  /** INJECTORS[method].inject({ guest }, page of target) */
  | { kind: 'inject'; method: InjectionMethod; target: string }
  /** setCorruptFilter(guest, filter) */
  | { kind: 'corruptFilter'; filter: CorruptFilter }
  /** setMemoryBlockState(guest, block, state) per selected block; a target block via blockOfPfn */
  | { kind: 'memoryBlock'; block: BlockSelection; state: BlockStateRequest }
  /** addDimm / removeDimm (QMP object-add + device_add, device_del + object-del) */
  | { kind: 'dimm'; op: 'add'; id: string; sizeMiB: number; node: number | null; withinMs: number }
  | { kind: 'dimm'; op: 'remove'; id: string; withinMs: number }
  /** resizeVirtioMem (QMP qom-set requested-size, then qom-get size until it converges) */
  | { kind: 'virtioMem'; id: string; requestedMiB: number; withinMs: number }
  /** helper.movePages(target, node): move_pages(2) of the target's pages */
  | { kind: 'migrate'; target: string; node: number }
  /** waitForKernelEvent(reader, type, { where: eventMatches(...) , timeoutMs }) */
  | { kind: 'wait'; event: EventMatcher }
  /** guest.exec(command) */
  | { kind: 'shell'; command: string }
  /** writeGuestFile(guest, /proc/sys/<key with / for .>, value) per setting, in order */
  | { kind: 'sysctl'; settings: Array<{ key: string; value: string }> }
  | { kind: 'sleep'; ms: number }
  /** takes the "before" state snapshot here instead of just before the first inject */
  | { kind: 'snapshot' }
  /** runCgroupStep: a cgroup v2 group made (or changed), its controllers enabled, files set, processes moved in */
  | CgroupAction
  /** runProgramStep: a program copied into the guest (a C file compiled on the host first) and run there */
  | ProgramAction;

export type StepKind = StepAction['kind'];

/** What a step's own result must be. Unset fields are not checked. */
export interface StepOutcome {
  /** The write/syscall/request succeeded (inject result.ok, helper reply ok, ret 0). */
  ok?: boolean;
  /** errno name of the failure (EIO, EBUSY, EHWPOISON); null: no errno (success). */
  errno?: string | null;
  sigbus?: SigbusMatcher | 'none';
  /** shell: exit status. */
  exit?: number;
  /** shell, program: regexes the output must match. */
  stdout?: string;
  stderr?: string;
  /** program: the signal that ended it (SIGBUS); null: none (it exited, or still runs). */
  signal?: SignalName | null;
  /** program (background): it was still running when the steps ended (the harness then stopped it). */
  running?: boolean;
  /** verify: the data read back is the filled pattern. */
  intact?: boolean;
  /** memoryBlock: the block's state read back after the write. */
  state?: string;
  /** dimm, virtioMem: regex the step's reason (why it failed or stalled) must match. */
  reason?: string;
  /** virtioMem: the plugged size (MiB) when the step ended. */
  pluggedMiB?: number;
  /** migrate: the node the target's page is on after / was on before the step. */
  node?: number;
  fromNode?: number;
  when: Requirement[] | null;
  xfail: Xfail | null;
}

export interface Step {
  /** Position in the case's step list. */
  index: number;
  id: string | null;
  action: StepAction;
  /** null: the called API's own default. */
  timeoutMs: number | null;
  /** Run the step only on kernels where this holds. */
  when: Requirement[] | null;
  /** Checked right after the step. Filled with the default where the step has one (shell: exit 0). */
  expect: StepOutcome[];
  /** Set by the loader. */
  location: SourceLocation;
  text: string;
}

/**
 * Kinds whose failure is a broken case set-up, not a kernel verdict: the runner stops the
 * case. A `wait` that times out is different: the kernel did not say what it should have,
 * so the case fails.
 */
export const MUST_SUCCEED: readonly StepKind[] = ['target', 'fill', 'release', 'mceKill', 'corruptFilter', 'sleep', 'snapshot'];

const targetRef = z.preprocess((value) => (typeof value === 'string' ? { target: value } : value), z.object({ target: targetNameSchema }));
const seedSchema = z.number().int().min(0).max(0xffff_ffff);
/**
 * The seed `fill: t0` writes when none is given. It is not what preparation leaves: a new
 * owned page holds PREPARED_FILL_SEED's pattern (harness/inject/targets.ts), and a plain
 * `verify: t0` checks against the target's last seed, that one until a `fill`.
 */
export const DEFAULT_FILL_SEED = 0x5eed;

const bigintSchema = z.union([z.number().int().nonnegative(), z.string().regex(/^(0x[0-9a-fA-F]+|\d+)$/, 'a number or hex string')]).transform((value) => BigInt(value));

const errnoSchema = z.union([z.literal('none'), z.string().regex(/^E[A-Z0-9]+$/, 'an errno name such as EIO, or none')]).transform((value) => (value === 'none' ? null : value));

const regexSchema = z.string().superRefine((pattern, ctx) => {
  try {
    new RegExp(pattern);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `bad regex: ${error instanceof Error ? error.message : String(error)}` });
  }
});

const OUTCOME_FIELDS = {
  ok: z.boolean(),
  errno: errnoSchema,
  sigbus: sigbusSchema,
  exit: z.number().int().min(0).max(255),
  stdout: regexSchema,
  stderr: regexSchema,
  intact: z.boolean(),
  state: z.string().min(1),
  reason: regexSchema,
  pluggedMiB: z.number().int().min(0),
  node: z.number().int().min(0),
  fromNode: z.number().int().min(0),
  signal: signalOutcomeSchema,
  running: z.boolean(),
} as const;
export type OutcomeField = keyof typeof OUTCOME_FIELDS;
export const OUTCOME_FIELD_NAMES = Object.keys(OUTCOME_FIELDS) as OutcomeField[];

interface KindSpec {
  value: z.ZodType;
  build: (value: never) => StepAction;
  outcomes: readonly OutcomeField[];
  defaultExpect?: Omit<StepOutcome, 'when' | 'xfail'>;
  /** A default that depends on the action (a program: in the background or not). */
  defaultExpectOf?: (action: StepAction) => Omit<StepOutcome, 'when' | 'xfail'>;
}

function kind<S extends z.ZodType>(value: S, build: (value: z.output<S>) => StepAction, outcomes: readonly OutcomeField[] = [], defaultExpect?: KindSpec['defaultExpect']): KindSpec {
  return { value, build: build as (value: never) => StepAction, outcomes, ...(defaultExpect ? { defaultExpect } : {}) };
}

const nodeSchema = z.number().int().min(0).max(63);
const deviceIdSchema = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,31}$/, 'a memory device id as in guest: (dimms, virtioMem, nvdimms) or a dimm step');
const mibSchema = z.number().int().positive();
/** How long dimm and virtioMem steps wait for the guest (or the device) by default. */
export const DEFAULT_DEVICE_WAIT_MS = 60_000;

/** A physical address range as lsmem prints it: START-END (END inclusive), hex or decimal. */
const rangeSchema = z.string().transform((text, ctx) => {
  const match = /^\s*(0x[0-9a-fA-F]+|\d+)\s*-\s*(0x[0-9a-fA-F]+|\d+)\s*$/.exec(text);
  const start = match ? BigInt(match[1]!) : null;
  const end = match ? BigInt(match[2]!) : null;
  if (start === null || end === null || end < start) {
    ctx.addIssue({ code: 'custom', message: `expected a physical address range START-END as lsmem prints it (0x140000000-0x14fffffff), got '${text}'` });
    return z.NEVER;
  }
  return { start, end };
});

const memoryBlockSchema = z
  .object({ block: z.string().optional(), node: nodeSchema.optional(), range: rangeSchema.optional(), device: deviceIdSchema.optional(), state: z.enum(BLOCK_STATES) })
  .transform((v, ctx) => {
    const given = (['block', 'node', 'range', 'device'] as const).filter((key) => v[key] !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({ code: 'custom', message: given.length === 0 ? 'say which blocks: block (memory12 or $t0), node, range or device' : `one of block, node, range, device; this step has ${given.join(' and ')}` });
      return z.NEVER;
    }
    let block: BlockSelection;
    if (v.node !== undefined) block = { kind: 'node', node: v.node };
    else if (v.range !== undefined) block = { kind: 'range', start: v.range.start, end: v.range.end };
    else if (v.device !== undefined) block = { kind: 'device', id: v.device };
    else if (/^memory\d+$/.test(v.block!)) block = { kind: 'name', name: v.block! };
    else {
      const ref = parseValueRef(v.block!);
      if (!ref || typeof ref === 'string' || ref.kind !== 'target' || ref.property !== 'pfn') {
        ctx.addIssue({ code: 'custom', path: ['block'], message: `expected a memory block (memory12) or $t0 (the block holding target t0), got '${v.block}'` });
        return z.NEVER;
      }
      block = { kind: 'target', target: ref.target };
    }
    return { block, state: v.state };
  });

const dimmSchema = z
  .object({ add: deviceIdSchema.optional(), remove: deviceIdSchema.optional(), sizeMiB: mibSchema.optional(), node: nodeSchema.optional(), within: durationSchema.optional() })
  .transform((v, ctx) => {
    const withinMs = v.within ?? DEFAULT_DEVICE_WAIT_MS;
    if ((v.add === undefined) === (v.remove === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'a dimm step either adds (add: ID, sizeMiB, node?) or removes (remove: ID) one DIMM' });
      return z.NEVER;
    }
    if (v.add !== undefined) {
      if (v.sizeMiB === undefined) {
        ctx.addIssue({ code: 'custom', path: ['sizeMiB'], message: 'adding a DIMM needs its size: sizeMiB (a multiple of the memory block size, 128)' });
        return z.NEVER;
      }
      return { op: 'add' as const, id: v.add, sizeMiB: v.sizeMiB, node: v.node ?? null, withinMs };
    }
    for (const key of ['sizeMiB', 'node'] as const) if (v[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `${key} is for adding a DIMM; removing takes only remove: ID` });
    return { op: 'remove' as const, id: v.remove!, withinMs };
  });

/** A target step's knobs (harness/inject/target-knobs.ts: which kinds take which, checked in the refinement). */
const targetKnobShape = {
  pool: z.number().int().min(1).max(1_000_000).optional(),
  size: z.enum(HUGEPAGE_SIZES).optional(),
  shared: z.boolean().optional(),
  fault: z.boolean().optional(),
  pages: z.number().int().min(1).optional(),
  index: z.number().int().min(0).optional(),
};

function knobsOf(v: { [K in keyof TargetKnobs]?: TargetKnobs[K] | undefined }): TargetKnobs {
  return Object.fromEntries(Object.entries({ pool: v.pool, size: v.size, shared: v.shared, fault: v.fault, pages: v.pages, index: v.index }).filter(([, value]) => value !== undefined)) as TargetKnobs;
}

export const STEP_KINDS: Readonly<Record<StepKind, KindSpec>> = {
  target: kind(
    z
      .object({
        name: targetNameSchema,
        kind: z.enum(TARGET_KIND_NAMES),
        node: nodeSchema.optional(),
        device: deviceIdSchema.optional(),
        ...targetKnobShape,
      })
      .superRefine((v, ctx) => {
        const problem = placementProblem(v.kind, { ...(v.node !== undefined ? { node: v.node } : {}), ...(v.device !== undefined ? { device: v.device } : {}) });
        if (problem) ctx.addIssue({ code: 'custom', path: [v.device !== undefined ? 'device' : 'node'], message: problem });
        for (const knob of knobProblems(v.kind, knobsOf(v))) ctx.addIssue({ code: 'custom', path: [knob.knob], message: knob.message });
        if (v.fault === false && v.node !== undefined) ctx.addIssue({ code: 'custom', path: ['fault'], message: `fault: false leaves no page to move to node ${v.node}: fault it in (access: ${v.name}), then migrate: { target: ${v.name}, node: ${v.node} }` });
      }),
    (v) => {
      const placement: TargetPlacement = { ...(v.node !== undefined ? { node: v.node } : {}), ...(v.device !== undefined ? { device: v.device } : {}) };
      const knobs = knobsOf(v);
      return { kind: 'target', name: v.name, targetKind: v.kind, ...(Object.keys(placement).length > 0 ? { placement } : {}), ...(Object.keys(knobs).length > 0 ? { knobs } : {}) };
    },
  ),
  fill: kind(
    z.preprocess((value) => (typeof value === 'string' ? { target: value } : value), z.object({ target: targetNameSchema, seed: seedSchema.default(DEFAULT_FILL_SEED) })),
    (v) => ({ kind: 'fill', target: v.target, seed: v.seed }),
  ),
  verify: kind(
    z.preprocess((value) => (typeof value === 'string' ? { target: value } : value), z.object({ target: targetNameSchema, seed: seedSchema.optional() })),
    (v) => ({ kind: 'verify', target: v.target, seed: v.seed ?? null }),
    ['intact', 'sigbus'],
  ),
  access: kind(
    z.preprocess((value) => (typeof value === 'string' ? { target: value } : value), z.object({ target: targetNameSchema, mode: z.enum(['read', 'write']).default('read'), index: z.number().int().min(0).optional() })),
    (v) => ({ kind: 'access', target: v.target, mode: v.mode, index: v.index ?? null }),
    ['sigbus'],
  ),
  fsync: kind(targetRef, (v) => ({ kind: 'fsync', target: v.target }), ['ok', 'errno']),
  msync: kind(targetRef, (v) => ({ kind: 'msync', target: v.target }), ['ok', 'errno']),
  release: kind(targetRef, (v) => ({ kind: 'release', target: v.target })),
  mceKill: kind(z.enum(['early', 'late', 'default']), (policy) => ({ kind: 'mceKill', policy })),
  inject: kind(z.object({ method: z.enum(INJECTION_METHODS), target: targetNameSchema }), (v) => ({ kind: 'inject', method: v.method, target: v.target }), ['ok', 'errno', 'sigbus']),
  corruptFilter: kind(
    z.object({ enable: z.boolean().optional(), devMajor: z.number().int().min(0).optional(), devMinor: z.number().int().min(0).optional(), memcg: bigintSchema.optional(), flagsMask: bigintSchema.optional(), flagsValue: bigintSchema.optional() }),
    (v) => ({ kind: 'corruptFilter', filter: Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined)) as CorruptFilter }),
  ),
  memoryBlock: kind(memoryBlockSchema, (v) => ({ kind: 'memoryBlock', block: v.block, state: v.state }), ['ok', 'errno', 'state']),
  // Hot(un)plug changes the guest's devices: it must be said to work (or be refused) in expect.
  dimm: kind(dimmSchema, (v) => ({ kind: 'dimm', ...v }), ['ok', 'reason'], { ok: true }),
  virtioMem: kind(
    z.object({ id: deviceIdSchema, requestedMiB: z.number().int().min(0), within: durationSchema.optional() }),
    (v) => ({ kind: 'virtioMem', id: v.id, requestedMiB: v.requestedMiB, withinMs: v.within ?? DEFAULT_DEVICE_WAIT_MS }),
    ['ok', 'reason', 'pluggedMiB'],
    { ok: true },
  ),
  migrate: kind(z.object({ target: targetNameSchema, node: nodeSchema }), (v) => ({ kind: 'migrate', target: v.target, node: v.node }), ['ok', 'errno', 'node', 'fromNode'], { ok: true }),
  wait: kind(
    z.unknown().transform((value, ctx) => {
      const raw = typeof value === 'string' ? { event: value } : value;
      if (!isPlainObject(raw)) {
        ctx.addIssue({ code: 'custom', message: 'expected a kernel event type, or { event: TYPE, field: value, ... }' });
        return z.NEVER;
      }
      const { matcher, issues } = parseEventMatcher(raw, []);
      if (!matcher) {
        forwardIssues(ctx, typeof value === 'string' ? issues.map((issue) => ({ ...issue, path: [] })) : issues);
        return z.NEVER;
      }
      return matcher;
    }),
    (event) => ({ kind: 'wait', event }),
  ),
  shell: kind(z.string().min(1), (command) => ({ kind: 'shell', command }), ['exit', 'stdout', 'stderr'], { exit: 0 }),
  sysctl: kind(
    z.record(z.string().regex(/^[a-z0-9_]+(\.[a-z0-9_-]+)+$/, 'a sysctl name such as vm.memory_failure_early_kill'), z.union([z.string(), z.number()]).transform(String)),
    (settings) => ({ kind: 'sysctl', settings: Object.entries(settings).map(([key, value]) => ({ key, value })) }),
    ['ok', 'errno'],
    { ok: true },
  ),
  sleep: kind(durationSchema, (ms) => ({ kind: 'sleep', ms })),
  snapshot: kind(z.literal('before'), () => ({ kind: 'snapshot' })),
  cgroup: kind(cgroupStepSchema, (action) => action, ['ok', 'errno'], { ok: true }),
  program: {
    ...kind(programStepSchema, (action) => action, ['exit', 'stdout', 'stderr', 'signal', 'sigbus', 'running']),
    defaultExpectOf: (action) => programDefaultExpect(action as ProgramAction),
  },
};

export const STEP_KIND_NAMES = Object.keys(STEP_KINDS) as StepKind[];
const COMMON_KEYS = ['id', 'timeout', 'when', 'expect'];

function outcomeSchema(kindName: StepKind, spec: KindSpec) {
  const shape: Record<string, z.ZodType> = {};
  for (const field of spec.outcomes) shape[field] = OUTCOME_FIELDS[field].optional();
  const one = z.object({ ...shape, ...modifiersShape }).transform((value): StepOutcome => {
    const { when, xfail, ...fields } = value as Record<string, unknown> & { when?: Requirement[]; xfail?: Xfail };
    return { ...(fields as Omit<StepOutcome, 'when' | 'xfail'>), when: when ?? null, xfail: xfail ?? null };
  });
  if (spec.outcomes.length === 0) {
    return z.unknown().transform((_value, ctx) => {
      ctx.addIssue({ code: 'custom', message: `a ${kindName} step has no outcome to check: if it fails, the case stops` });
      return z.NEVER;
    });
  }
  return z.preprocess((value) => (Array.isArray(value) ? value : [value]), z.array(one).min(1));
}

/** The per-kind schema of a whole step item: the action key plus the common keys. */
function stepItemSchema(kindName: StepKind) {
  const spec = STEP_KINDS[kindName];
  return z
    .object({
      [kindName]: spec.value,
      id: idSchema.optional(),
      timeout: durationSchema.optional(),
      when: modifiersShape.when,
      expect: outcomeSchema(kindName, spec).optional(),
    })
    .transform((value) => {
      const record = value as Record<string, unknown>;
      const action = spec.build(record[kindName] as never);
      const defaultExpect = spec.defaultExpectOf?.(action) ?? spec.defaultExpect;
      const expect = (record['expect'] as StepOutcome[] | undefined) ?? (defaultExpect ? [{ ...defaultExpect, when: null, xfail: null }] : []);
      return {
        id: (record['id'] as string | undefined) ?? null,
        action,
        timeoutMs: (record['timeout'] as number | undefined) ?? null,
        when: (record['when'] as Requirement[] | undefined) ?? null,
        expect,
      };
    });
}

const ITEM_SCHEMAS = new Map(STEP_KIND_NAMES.map((name) => [name, stepItemSchema(name)]));

export type ParsedStep = Omit<Step, 'index' | 'location' | 'text'>;

/** One step item: exactly one action key decides which schema applies. */
export const stepSchema = z.unknown().transform((value, ctx): ParsedStep => {
  if (!isPlainObject(value)) {
    ctx.addIssue({ code: 'custom', message: `expected a step: a mapping with one of ${STEP_KIND_NAMES.join(', ')}` });
    return z.NEVER;
  }
  const keys = Object.keys(value);
  const kinds = keys.filter((key): key is StepKind => (STEP_KIND_NAMES as string[]).includes(key));
  if (kinds.length === 0) {
    const strays = keys.filter((key) => !COMMON_KEYS.includes(key));
    if (strays.length > 0) {
      for (const stray of strays) ctx.addIssue({ code: 'custom', path: [stray], params: { part: 'key' }, message: `unknown step '${stray}'${didYouMean(stray, STEP_KIND_NAMES) || ` (steps: ${STEP_KIND_NAMES.join(', ')})`}` });
    } else {
      ctx.addIssue({ code: 'custom', message: `a step needs an action: one of ${STEP_KIND_NAMES.join(', ')}` });
    }
    return z.NEVER;
  }
  if (kinds.length > 1) {
    ctx.addIssue({ code: 'custom', path: [kinds[1]!], params: { part: 'key' }, message: `one action per step: this step has both ${kinds[0]} and ${kinds[1]}; make them two steps` });
    return z.NEVER;
  }
  const kindName = kinds[0]!;
  for (const key of keys) {
    if (key !== kindName && !COMMON_KEYS.includes(key)) {
      ctx.addIssue({ code: 'custom', path: [key], params: { part: 'key' }, message: unknownKeyMessage(key, [kindName, ...COMMON_KEYS]) });
    }
  }
  const schema = ITEM_SCHEMAS.get(kindName)!;
  const picked = Object.fromEntries(keys.filter((key) => key === kindName || COMMON_KEYS.includes(key)).map((key) => [key, value[key]]));
  return parseInside(schema, picked, ctx) as ParsedStep;
});
