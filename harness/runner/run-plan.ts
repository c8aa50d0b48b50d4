import { HWPOISON_INJECT_MODULE, METHOD_TRAITS } from '../inject/method-traits.ts';
import type { KernelInfo } from '../results/run-result.ts';
import type { KernelFacts, SuiteCase } from '../suite/index.ts';
import { evaluateRequirements } from '../suite/index.ts';
import { HarnessError } from '../util/errors.ts';
import type { GuestSpec } from '../vm/guest-spec.ts';
import { assignGroups, type GroupWeigher, type PlanGroup, type ShardAssignment } from './shard-groups.ts';

/** A kernel of the run, resolved: what --kernel said, what it is, what it can do. */
export interface RunKernel {
  ref: string | undefined;
  info: KernelInfo;
  facts: KernelFacts;
}

/** One execution of a case: kernel x case x --repeat-each, with its skip decision. */
export interface PlannedCase {
  case: SuiteCase;
  repeatIndex: number;
  /** Index into the run's kernels (in --kernel order). */
  kernelIndex: number;
  /** 1-based position in the run (reporters' "3/8"); the unsharded run's numbering. */
  index: number;
  /** Set when a requirement is not met: reported as skipped, never booted for. */
  skipReason?: string;
}

/** Cases that share one kernel and guest configuration: booted once, snapshotted, restored per case. */
export interface GuestGroup {
  key: string;
  kernelIndex: number;
  spec: GuestSpec;
  cases: PlannedCase[];
}

export interface Shard {
  /** 1-based. */
  index: number;
  total: number;
}

export interface CaseFilter {
  grep?: RegExp;
  tags?: readonly string[];
}

/** --grep matches the key or the title; every --tag must be on the case. */
export function filterCases(cases: readonly SuiteCase[], filter: CaseFilter): SuiteCase[] {
  return cases.filter((testCase) => {
    if (filter.grep && !filter.grep.test(testCase.key) && !filter.grep.test(testCase.title)) return false;
    if (filter.tags && filter.tags.length > 0 && !filter.tags.every((tag) => testCase.tags.includes(tag))) return false;
    return true;
  });
}

/**
 * The whole run's work: for each kernel in order, the cases in suite order, each repeated
 * --repeat-each times (repeats of one case adjacent). Depends on nothing but its inputs, so
 * every shard of a run computes the same list.
 */
export function planWork(cases: readonly SuiteCase[], repeatEach: number, kernelCount = 1): PlannedCase[] {
  const out: PlannedCase[] = [];
  for (let kernelIndex = 0; kernelIndex < kernelCount; kernelIndex++) {
    for (const testCase of cases) for (let repeatIndex = 0; repeatIndex < repeatEach; repeatIndex++) out.push({ case: testCase, repeatIndex, kernelIndex, index: out.length + 1 });
  }
  return out;
}

/** "2/3" from --shard. */
export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const shard = match ? { index: Number(match[1]), total: Number(match[2]) } : null;
  if (!shard || shard.total < 1 || shard.index < 1 || shard.index > shard.total) {
    throw new HarnessError('usage', `--shard '${text}': expected i/n with 1 <= i <= n, e.g. 2/3`);
  }
  return shard;
}

/**
 * The shard's part of the work, in plan order: the cases of the guest groups (kernel x guest
 * spec) `assignGroups` gives it, so no group boots in two shards. The shards 1/n ... n/n add up
 * to the whole, each item once, whatever the weights. `weigh` defaults to case counts.
 */
export function shardWork(planned: readonly PlannedCase[], shard: Shard, weigh?: GroupWeigher): PlannedCase[] {
  return shardPlan(planned, shard.total, weigh).shards[shard.index - 1]!.cases;
}

/** The whole plan's assignment of guest groups to n shards (what `run --list --shard` prints). */
export function shardPlan(planned: readonly PlannedCase[], total: number, weigh?: GroupWeigher): ShardAssignment {
  return assignGroups(planGroups(planned), total, weigh);
}

/**
 * The whole plan's guest groups, before any kernel is resolved: kernel (an index into the run's
 * kernel refs) x guest spec, in order of first appearance, each with all its cases in plan
 * order, skipped or not (requirements need kernel facts, known only after the download). The
 * groups `groupByGuest` makes of a shard's work after its kernels are resolved are these, less
 * the skipped cases.
 */
export function planGroups(planned: readonly PlannedCase[]): PlanGroup[] {
  const groups = new Map<string, PlanGroup>();
  const ordered: PlanGroup[] = [];
  for (const entry of planned) {
    const key = guestGroupKey(entry);
    let group = groups.get(key);
    if (!group) {
      groups.set(key, (group = { key, kernelIndex: entry.kernelIndex, spec: entry.case.guest, cases: [] }));
      ordered.push(group);
    }
    group.cases.push(entry);
  }
  return ordered;
}

export function applyRequirements(planned: readonly PlannedCase[], kernels: readonly RunKernel[]): PlannedCase[] {
  return planned.map((entry) => {
    const verdict = evaluateRequirements(entry.case, kernelOf(kernels, entry).facts);
    return verdict.satisfied ? entry : { ...entry, skipReason: verdict.skipReason ?? 'a requirement is not met' };
  });
}

export function kernelOf(kernels: readonly RunKernel[], entry: { kernelIndex: number }): RunKernel {
  const kernel = kernels[entry.kernelIndex];
  if (!kernel) throw new Error(`no kernel ${entry.kernelIndex} in the run`);
  return kernel;
}

/** A stable key of a guest spec: same JSON with sorted object keys means same guest. */
export function guestSpecKey(spec: GuestSpec): string {
  const sortKeys = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(sortKeys);
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => [k, sortKeys(v)]));
    return value;
  };
  return JSON.stringify(sortKeys(spec));
}

/** The guest group a case belongs to: its kernel and its guest spec (one boot and snapshot each). */
export function guestGroupKey(entry: Pick<PlannedCase, 'kernelIndex' | 'case'>): string {
  return `${entry.kernelIndex}:${guestSpecKey(entry.case.guest)}`;
}

/** Whether a case injects a machine check (METHOD_TRAITS' `machineCheck`), which leaves its guest unfit for a snapshot and for other cases (tainted, unpoison disabled). */
export const injectsMachineCheck = (testCase: SuiteCase): boolean => testCase.steps.some((step) => step.action.kind === 'inject' && METHOD_TRAITS[step.action.method].machineCheck);

/**
 * Runnable cases grouped by kernel and guest spec, groups in order of first appearance. Within a
 * group machine-check cases go last: they leave a guest unfit for other cases, which costs a restore
 * either way but keeps the group's first case on the freshly booted guest.
 */
export function groupByGuest(planned: readonly PlannedCase[]): GuestGroup[] {
  const groups = new Map<string, GuestGroup>();
  for (const entry of planned) {
    if (entry.skipReason !== undefined) continue;
    const key = guestGroupKey(entry);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { key, kernelIndex: entry.kernelIndex, spec: entry.case.guest, cases: [] }));
    group.cases.push(entry);
  }
  for (const group of groups.values()) group.cases.sort((a, b) => Number(injectsMachineCheck(a.case)) - Number(injectsMachineCheck(b.case)) || a.index - b.index);
  return [...groups.values()];
}

/**
 * The modules a group's guest must carry in its initramfs besides those its spec lists: the
 * module requirements of its cases, its injection methods' `bootModules` (hwpoison_inject for
 * debugfs injection), and hwpoison_inject for corruptFilter (the injectors modprobe it, which
 * works only if it is in the image). Modules the kernel does not have are left out (the
 * requirement check already skipped such cases).
 */
export function bootModulesFor(group: GuestGroup, facts: KernelFacts): string[] {
  const wanted = new Set(group.spec.modules);
  for (const { case: testCase } of group.cases) {
    for (const requirement of testCase.requirements) if (requirement.kind === 'module') wanted.add(requirement.name);
    for (const step of testCase.steps) {
      const action = step.action;
      if (action.kind === 'inject') for (const name of METHOD_TRAITS[action.method].bootModules) wanted.add(name);
      else if (action.kind === 'corruptFilter') wanted.add(HWPOISON_INJECT_MODULE);
    }
  }
  return [...wanted].filter((name) => group.spec.modules.includes(name) || !facts.modules || facts.modules.has(name.replaceAll('-', '_')));
}
