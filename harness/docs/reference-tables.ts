import { parse as parseYaml } from 'yaml';
import { INJECTORS } from '../inject/injectors.ts';
import { INJECTION_METHODS, type InjectionMethod } from '../inject/injection.ts';
import type { Need } from '../inject/kernel-needs.ts';
import { METHOD_TRAITS } from '../inject/method-traits.ts';
import { placementProblem } from '../inject/placement-spec.ts';
import { SCRATCH_MOUNT } from '../inject/scratch-fs.ts';
import { DEFAULT_POOL } from '../inject/hugetlb-pool.ts';
import { TARGET_KIND_NAMES, TARGET_KIND_TRAITS, type TargetKind } from '../inject/target-kind-traits.ts';
import { TARGET_KNOB_DOCS, TARGET_KNOB_NAMES } from '../inject/target-knobs.ts';
import { PREPARED_FILL_SEED } from '../inject/targets.ts';
import { defaultStepTimeoutMs } from '../runner/run-step.ts';
import { CGROUP_FILES } from '../state/cgroup-files.ts';
import { KPAGEFLAG_BITS } from '../state/kpageflags.ts';
import { EVENT_DESCRIPTIONS, EVENT_FIELDS, EVENT_TYPES, FIELD_KIND_DOCS, type FieldKind } from '../suite/event-vocabulary.ts';
import { KERNEL_FEATURES, FEATURE_NAMES } from '../suite/features.ts';
import { STATE_PATH_DOCS, STATE_ROOTS } from '../suite/state-expectation.ts';
import { OUTCOME_FIELD_DOCS, STEP_DOCS } from '../suite/step-docs.ts';
import { DEFAULT_FILL_SEED, MUST_SUCCEED, OUTCOME_FIELD_NAMES, STEP_KIND_NAMES, STEP_KINDS, stepSchema, type Step, type StepKind } from '../suite/step-schema.ts';
import { defaultGuestSpec } from '../vm/guest-spec.ts';
import { code, codeList, duration, table } from './markdown.ts';

/**
 * The reference tables of suites/README.md (and the short lists in README.md), rendered from
 * the tables lint and the runner use, so the docs cannot name a step, field or kind the code
 * does not know, or miss one it does.
 */

/** A documented step form as the schema reads it; a form that does not parse is a bug in the docs. */
export function parseStepForm(form: string): Step {
  const parsed = stepSchema.safeParse(parseYaml(form));
  if (!parsed.success) throw new Error(`the documented step \`${form}\` does not parse: ${parsed.error.issues.map((issue) => issue.message).join('; ')}`);
  return { ...parsed.data, index: 0, location: { file: 'suites/README.md', line: 1, column: 1 }, text: form };
}

/** The step's own duration that its default deadline is counted from (sleep, `within:`), if any. */
function ownDuration(step: Step): { value: number; with: (ms: number) => Step; name: string } | null {
  const action = step.action;
  if (action.kind === 'sleep') return { value: action.ms, with: (ms) => ({ ...step, action: { ...action, ms } }), name: 'the sleep' };
  if (action.kind === 'dimm' || action.kind === 'virtioMem') return { value: action.withinMs, with: (ms) => ({ ...step, action: { ...action, withinMs: ms } }), name: '`within`' };
  return null;
}

/** The default deadline, said as "within + 60s" where it grows with the step's own wait. */
function defaultDeadline(step: Step): string {
  const base = defaultStepTimeoutMs(step);
  const own = ownDuration(step);
  if (own && defaultStepTimeoutMs(own.with(own.value + 1000)) === base + 1000) return `${own.name} + ${duration(base - own.value)}`;
  return duration(base);
}

function withoutExpect(kind: StepKind): string {
  const spec = STEP_KINDS[kind];
  const doc = STEP_DOCS[kind];
  if (MUST_SUCCEED.includes(kind)) return 'must work, else the case stops as an infra error (broken, not a kernel failure)';
  if (spec.defaultExpect) return `expects ${code(Object.entries(spec.defaultExpect).map(([field, value]) => `${field}: ${String(value)}`).join(', '))}`;
  if (doc.failure) return doc.failure;
  if (spec.outcomes.length > 0) return 'recorded; checked only where `expect:` says';
  return '—';
}

export function stepsTable(): string {
  const rows = STEP_KIND_NAMES.map((kind) => {
    const doc = STEP_DOCS[kind];
    const steps = doc.forms.map(parseStepForm);
    const wrong = steps.find((step) => step.action.kind !== kind);
    if (wrong) throw new Error(`the documented ${kind} step \`${wrong.text}\` parses as a ${wrong.action.kind} step`);
    const outcomes = STEP_KINDS[kind].outcomes;
    return [codeList(doc.forms, ' / '), doc.does, outcomes.length > 0 ? codeList(outcomes) : '—', withoutExpect(kind), defaultDeadline(steps[0]!)];
  });
  return table(['step', 'does', '`expect:` fields', 'without `expect:`', 'deadline'], rows);
}

export function stepOutcomesTable(): string {
  const rows = OUTCOME_FIELD_NAMES.map((field) => {
    const steps = STEP_KIND_NAMES.filter((kind) => STEP_KINDS[kind].outcomes.includes(field));
    const doc = OUTCOME_FIELD_DOCS[field];
    // Each form must be one the first of those steps accepts, as a suite would write it.
    for (const form of doc.forms) {
      const kind = steps[0]!;
      const step = parseYaml(STEP_DOCS[kind].forms[0]!) as Record<string, unknown>;
      const parsed = stepSchema.safeParse({ ...step, expect: parseYaml(form) });
      if (!parsed.success) throw new Error(`the documented outcome \`${form}\` does not parse on a ${kind} step: ${parsed.error.issues.map((issue) => issue.message).join('; ')}`);
    }
    return [codeList(doc.forms, ' / '), steps.join(', '), doc.meaning];
  });
  return table(['field', 'steps', 'meaning'], rows);
}

function needsText(need: Need | undefined): string {
  if (!need) return '—';
  const config = Object.entries(need.config ?? {}).map(([option, accepted]) => code(`${option}=${accepted.join('/')}`));
  const modules = need.modules && need.modules.length > 0 ? [`modules ${codeList(need.modules)}`] : [];
  return [...config, ...modules].join(', ') || '—';
}

function placementText(kind: TargetKind): string {
  const ways = [placementProblem(kind, { node: 0 }) === null ? '`node`' : null, placementProblem(kind, { device: 'd0' }) === null ? '`device`' : null].filter((way) => way !== null);
  return ways.length > 0 ? ways.join(', ') : '—';
}

export function targetKindsTable(): string {
  const rows = TARGET_KIND_NAMES.map((kind) => {
    const spec = TARGET_KIND_TRAITS[kind];
    return [code(kind), spec.description, spec.effect, spec.owned ? 'yes' : 'no', placementText(kind), spec.knobs.length > 0 ? codeList(spec.knobs) : '—', needsText(spec.needs)];
  });
  const notes = [
    `- **hugetlb pool.** \`hugetlb\` and \`hugetlb-free\` take their page from the pool of their \`size:\` (2 MiB unless \`size: 1G\`). With \`pool: N\` the pool is made N pages (nothing is written when it is N already); without it the pool grows to ${DEFAULT_POOL['2M']} pages (1 GiB: ${DEFAULT_POOL['1G']}), or further when the target's pages are not free, and a larger pool the case set (a \`sysctl: { vm.nr_hugepages: 8 }\` step) is left as it is. The step summary says the pool before and what was done, e.g. \`2048kB hugetlb pool 0 → 2 pages (pool: 2)\`. A pool that cannot be made (1 GiB pages the guest did not boot with), or one with too few free pages for the target, fails the step with what to change.`,
    `- **Files.** File kinds live at \`${SCRATCH_MOUNT}/<name>.data\` (\`pagecache-*\`) and \`/tmp/<name>.data\` (\`tmpfs-*\`), \`<name>\` the target's name; \`release\` deletes them. Page-cache targets use whatever filesystem is mounted at \`${SCRATCH_MOUNT}\`, so a case can first put one on pmem (\`mke2fs\` and \`mount -o dax=always /dev/pmem0 ${SCRATCH_MOUNT}\` in a \`shell\` step: see \`pmem/fsdax-*\`).`,
    `- **Placement.** \`node: N\` on a page nobody maps searches the node's online memory blocks for one; on a page the helper maps it allocates the page, then moves it there with move_pages(2). For the hugetlb kinds the node's pool must have the page (to find, or to move into): \`pool:\` is then that node's pool, the only one written; without it the whole pool gets its default first, then the node's. \`device: ID\` searches the online blocks of a memory device (a DIMM, NVDIMM or virtio-mem id): see [memory topology](#memory-topology-at-runtime).`,
    `- **Knobs.** The \`knobs\` column: the keys beyond \`name\`, \`kind\`, \`node\`, \`device\` a kind's \`target\` step takes; lint refuses the others at the key.`,
    ...TARGET_KNOB_NAMES.map((knob) => `  - ${code(TARGET_KNOB_DOCS[knob].form)}: ${TARGET_KNOB_DOCS[knob].meaning}.`),
  ];
  return `${table(['kind', 'the page', 'what preparing it does in the guest', 'helper maps it', 'placement', 'knobs', 'needs (implied)'], rows)}\n\n${notes.join('\n')}`;
}

/** What a method's guestRequirements changes in the default guest: the suite must ask for it (lint checks). */
function guestNeeds(method: InjectionMethod): string {
  const adapt = INJECTORS[method].guestRequirements;
  if (!adapt) return '—';
  const base = defaultGuestSpec();
  const wanted = adapt(base);
  const parts: string[] = [];
  if (wanted.cpus !== base.cpus) parts.push(code(`cpus: ${wanted.cpus}`));
  const added = wanted.cmdline.filter((word) => !base.cmdline.includes(word));
  if (added.length > 0) parts.push(code(`cmdline: [${added.map((word) => `'${word}'`).join(', ')}]`));
  return parts.join(', ');
}

export function injectionMethodsTable(): string {
  const rows = INJECTION_METHODS.map((method) => [
    code(method),
    INJECTORS[method].description,
    METHOD_TRAITS[method].owner !== 'none' ? 'one the helper maps' : 'any',
    needsText(METHOD_TRAITS[method].needs),
    guestNeeds(method),
  ]);
  return table(['method', 'does', 'target', 'needs (implied)', 'guest'], rows);
}

function fieldKindText(kind: FieldKind): string {
  return typeof kind === 'object' ? codeList(kind.oneOf, ' ') : kind;
}

export function eventFieldKindsTable(): string {
  const kinds = Object.keys(FIELD_KIND_DOCS) as (keyof typeof FIELD_KIND_DOCS)[];
  return table(['kind', 'a suite writes'], kinds.map((kind) => [kind === 'oneOf' ? 'listed values' : code(kind), FIELD_KIND_DOCS[kind]]));
}

export function eventTypesTable(): string {
  const rows = EVENT_TYPES.map((type) => {
    const fields = Object.entries(EVENT_FIELDS[type] as Readonly<Record<string, FieldKind>>);
    return [code(type), fields.length > 0 ? fields.map(([name, kind]) => `${code(name)} (${fieldKindText(kind)})`).join(', ') : '—', EVENT_DESCRIPTIONS[type]];
  });
  return table(['type', 'fields', 'what the kernel printed'], rows);
}

export function statePathsTable(): string {
  return table(['path', 'value', 'read from'], [...STATE_ROOTS, 'file' as const].map((root) => {
    const doc = STATE_PATH_DOCS[root];
    return [doc.path.split(' / ').map(code).join(' / '), doc.value, doc.source];
  }));
}

/** The cgroup files a `cgroup.GROUP.FILE` state path names, with their format and what keys they take. */
export function cgroupFilesTable(): string {
  const keys = { single: '— (the value)', flat: '`KEY`', nested: '`KEY`, `KEY.SUB`' } as const;
  const rows = CGROUP_FILES.map((spec) => [code(spec.name), spec.format === 'single' ? 'single value' : spec.format === 'flat' ? 'flat keyed' : 'nested keyed', keys[spec.format], spec.controller ? code(spec.controller) : 'any', spec.what]);
  return table(['file', 'format', 'path after it', 'controller', 'what'], rows);
}

export function kpageflagsTable(): string {
  const rows = Object.entries(KPAGEFLAG_BITS).map(([bit, name]) => [code(name), bit]);
  return table(['name', 'bit'], rows);
}

export function featuresTable(): string {
  const rows = FEATURE_NAMES.map((name) => {
    const feature = KERNEL_FEATURES[name];
    return [code(name), feature.description, code(feature.kernel), codeList(feature.config), code(feature.probe), feature.reference];
  });
  return table(['feature', 'what', 'kernels', 'config (y)', 'shown by', 'upstream commit'], rows);
}

/** README.md's inject section: the methods, one line each. */
export function readmeInjectMethods(): string {
  return INJECTION_METHODS.map((method) => `- ${code(method)}: ${INJECTORS[method].description}`).join('\n');
}

/** README.md's inject section: the target kinds, pointing at what each does. */
export function readmeTargetKinds(): string {
  return `Targets (what each changes in the guest: [suites/README.md](suites/README.md#target-kinds)): ${codeList(TARGET_KIND_NAMES)}.`;
}

/** How the data pattern's seed goes from step to step (the seeds are the code's constants). */
export function dataPatternsText(): string {
  const fillSeed = `${code(`0x${DEFAULT_FILL_SEED.toString(16)}`)} (${DEFAULT_FILL_SEED})`;
  return [
    `- \`target:\` leaves every page the helper maps holding the seed-${PREPARED_FILL_SEED} pattern (\`*-clean\` kinds get it through their file, so \`pagecache-clean\` stays clean); pages nobody maps are not written.`,
    `- \`fill: t0\` writes the seed-${fillSeed} pattern; \`fill: { target: t0, seed: 7 }\` seed 7's.`,
    `- \`verify: t0\` and the \`target: t0, data: intact|corrupt\` expectation compare with the target's last seed: ${PREPARED_FILL_SEED} after \`target:\`, else the last \`fill\`'s; \`verify: { target: t0, seed: N }\` with N's.`,
  ].join('\n');
}
