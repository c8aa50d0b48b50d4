import type { CaseResult, KernelInfo, RunResult } from '../results/run-result.ts';
import { guestSpecSchema, type GuestSpec } from '../vm/guest-spec.ts';
import type { PlannedCase } from './run-plan.ts';

/**
 * `--shard i/n` by guest group: every shard of a run gets whole groups (kernel x guest spec,
 * one boot and snapshot each), so sharding never boots a group twice. Pure: the same plan,
 * n and weights give every shard the same assignment, on any machine.
 */

/**
 * A guest group of the whole plan, before kernels are resolved: its kernel (an index into the
 * run's kernel refs) and guest spec, with all its cases in plan order, the ones requirements
 * will skip included (they are listed as skipped by the shard that owns the group).
 */
export interface PlanGroup {
  key: string;
  kernelIndex: number;
  spec: GuestSpec;
  cases: PlannedCase[];
}

export interface WeighedGroup extends PlanGroup {
  /** Its estimated cost in milliseconds: its boot and its cases (see the weighers). */
  weightMs: number;
}

export interface ShardSlot {
  /** 1-based. */
  index: number;
  groups: WeighedGroup[];
  weightMs: number;
  /** The cases of its groups, in plan order. */
  cases: PlannedCase[];
}

export interface ShardAssignment {
  total: number;
  /** What the weights are: case counts, or a previous run's durations. */
  basis: string;
  /** What a shard would carry if groups could be split: the total weight over n (over the number of groups, when fewer). */
  idealMs: number;
  shards: ShardSlot[];
  /** Groups heavier than the ideal share: each stays whole on its shard. */
  oversized: WeighedGroup[];
}

/** A group's estimated cost in milliseconds. */
export interface GroupWeigher {
  basis: string;
  weigh(group: PlanGroup): number;
}

/**
 * Costs from the README's `npm run bench:suite` figures (2-core TCG host, all default cases):
 * a boot's isolation cost 3.2 s plus the snapshot save 0.2 s; a restore 0.55 s; a case's own
 * run time about 1.65 s (349.8 s for 159 cases on one worker, less their restores).
 * results.json keeps no boot time, so the boot is this constant with durations too.
 */
export const BOOT_MS = 3400;
export const RESTORE_MS = 550;
export const CASE_MS = 1650;

/** Every case weighs the same (its run and its restore); a group adds its boot, so many small groups do not look free. */
export const weighByCount: GroupWeigher = {
  basis: `case counts (a case ${seconds(CASE_MS + RESTORE_MS)} with its restore, a boot ${seconds(BOOT_MS)})`,
  weigh: (group) => (group.cases.length > 0 ? BOOT_MS : 0) + group.cases.length * (CASE_MS + RESTORE_MS),
};

/**
 * Weights from a previous run's results: a case weighs its duration there plus a restore; a
 * case that run skipped weighs 0 (it is listed, not run); a case missing from it weighs the
 * median duration of the cases it ran (CASE_MS if it ran none). A group adds a boot, unless
 * all its cases weigh 0. The kernel is matched by ref (6.1.0-56, 6.12.117, a release or an
 * id); a ref that names none of that run's kernels (latest-6.12, a bzImage) takes the case's
 * median over all of them. Every shard must be given the same run, or they split differently.
 */
export function weighByDurations(run: RunResult, kernelRefs: ReadonlyArray<string | undefined>, label = run.runId): GroupWeigher {
  const byKey = new Map<string, CaseResult[]>();
  for (const result of run.cases) {
    const list = byKey.get(result.key);
    if (list) list.push(result);
    else byKey.set(result.key, [result]);
  }
  const known = run.cases.filter((result) => result.verdict !== 'skipped').map((result) => result.durationMs);
  const missingMs = known.length > 0 ? median(known) : CASE_MS;
  const caseMs = (entry: PlannedCase): number => {
    const all = byKey.get(entry.case.key);
    if (!all) return missingMs + RESTORE_MS;
    const ref = kernelRefs[entry.kernelIndex];
    const onKernel = all.filter((result) => kernelMatches(ref, result.kernel));
    const chosen = onKernel.length > 0 ? onKernel : all;
    const sameRepeat = chosen.filter((result) => result.repeatIndex === entry.repeatIndex);
    const ran = (sameRepeat.length > 0 ? sameRepeat : chosen).filter((result) => result.verdict !== 'skipped');
    return ran.length > 0 ? median(ran.map((result) => result.durationMs)) + RESTORE_MS : 0;
  };
  return {
    basis: `durations of run ${label} (a case its duration there plus a restore ${seconds(RESTORE_MS)}, one it lacks ${seconds(missingMs)}, one it skipped 0; a boot ${seconds(BOOT_MS)})`,
    weigh: (group) => {
      const cases = group.cases.reduce((sum, entry) => sum + caseMs(entry), 0);
      return cases > 0 ? BOOT_MS + cases : 0;
    },
  };
}

/**
 * Whole groups to n shards by longest processing time first: groups by weight, heaviest
 * first (ties: the group that comes first in the plan), each to the shard with the least
 * weight so far (ties: the lowest index). A group heavier than the ideal share stays whole
 * (`oversized`); with more shards than groups some shards get none and run nothing.
 */
export function assignGroups(groups: readonly PlanGroup[], total: number, weigher: GroupWeigher = weighByCount): ShardAssignment {
  if (!Number.isInteger(total) || total < 1) throw new Error(`shard count ${total}: expected a positive integer`);
  const weighed: WeighedGroup[] = groups.map((group) => ({ ...group, weightMs: weigher.weigh(group) }));
  const firstIndex = (group: PlanGroup) => group.cases[0]?.index ?? Number.MAX_SAFE_INTEGER;
  const order = [...weighed].sort((a, b) => b.weightMs - a.weightMs || firstIndex(a) - firstIndex(b));
  const shards: ShardSlot[] = Array.from({ length: total }, (_, i) => ({ index: i + 1, groups: [], weightMs: 0, cases: [] }));
  for (const group of order) {
    let lightest = shards[0]!;
    for (const shard of shards) if (shard.weightMs < lightest.weightMs) lightest = shard;
    lightest.groups.push(group);
    lightest.weightMs += group.weightMs;
  }
  for (const shard of shards) {
    // Back to plan order: the shard runs (and numbers) its work as the unsharded run would.
    shard.groups.sort((a, b) => firstIndex(a) - firstIndex(b));
    shard.cases = shard.groups.flatMap((group) => group.cases).sort((a, b) => a.index - b.index);
  }
  const idealMs = weighed.reduce((sum, group) => sum + group.weightMs, 0) / Math.max(1, Math.min(total, weighed.length));
  const oversized = total > 1 ? weighed.filter((group) => group.weightMs > idealMs) : [];
  return { total, basis: weigher.basis, idealMs, shards, oversized };
}

/** How a group is named in the plan: its kernel, what its guest spec changes from the default, its suites. */
export function describeGroup(group: PlanGroup, kernelRefs: ReadonlyArray<string | undefined>): string {
  const kernel = kernelRefs[group.kernelIndex] ?? 'default kernel';
  const suites = [...new Set(group.cases.map((entry) => entry.case.suite.id))];
  return `${kernel} › ${describeSpec(group.spec)} (${suites.join(', ')})`;
}

/**
 * The lines `run --list --shard i/n` prints before the cases: what the weights are, every
 * shard's groups and weights (this one marked), and the notes: groups that stay whole though
 * heavier than a shard's share, shards that got nothing.
 */
export function describeAssignment(assignment: ShardAssignment, index: number, kernelRefs: ReadonlyArray<string | undefined>): string[] {
  const lines = [`shards by guest group, weighed by ${assignment.basis}:`];
  for (const shard of assignment.shards) {
    const mark = shard.index === index ? ' (this shard)' : '';
    if (shard.groups.length === 0) {
      lines.push(`  shard ${shard.index}/${assignment.total}${mark}: no group`);
      continue;
    }
    lines.push(`  shard ${shard.index}/${assignment.total}${mark}: ${shard.groups.length} group(s), ${shard.cases.length} case(s), ${seconds(shard.weightMs)}`);
    for (const group of shard.groups) lines.push(`    ${describeGroup(group, kernelRefs)}: ${group.cases.length} case(s), ${seconds(group.weightMs)}`);
  }
  return [...lines, ...shardNotes(assignment, kernelRefs).map((note) => `note: ${note}`)];
}

/** The notes on an assignment, all shards' (`index` omitted) or one shard's: what a run prints of its own. */
export function shardNotes(assignment: ShardAssignment, kernelRefs: ReadonlyArray<string | undefined>, index?: number): string[] {
  const notes: string[] = [];
  const groupCount = assignment.shards.reduce((sum, shard) => sum + shard.groups.length, 0);
  for (const shard of assignment.shards) {
    if (index !== undefined && shard.index !== index) continue;
    for (const group of shard.groups.filter((g) => assignment.oversized.includes(g))) {
      notes.push(`${describeGroup(group, kernelRefs)} weighs ${seconds(group.weightMs)}, more than a shard's share (${seconds(assignment.idealMs)}): it stays whole on shard ${shard.index}/${assignment.total}, since a guest group is never split`);
    }
    if (shard.groups.length === 0) notes.push(`shard ${shard.index}/${assignment.total} got no guest group (${groupCount} group(s) for ${assignment.total} shards): it runs nothing`);
  }
  return notes;
}

const DEFAULT_SPEC: Record<string, unknown> = guestSpecSchema.parse({});

/** What a spec changes from the default guest, e.g. `guest cpus=2 memoryMiB=1024` (at most 120 characters); `default guest` when nothing. */
export function describeSpec(spec: GuestSpec): string {
  const changed: string[] = [];
  for (const [field, value] of Object.entries(spec).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (JSON.stringify(value) === JSON.stringify(DEFAULT_SPEC[field])) continue;
    const text = typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
    changed.push(`${field}=${text.length > 60 ? `${text.slice(0, 59)}…` : text}`);
  }
  const text = changed.join(' ');
  return changed.length === 0 ? 'default guest' : `guest ${text.length > 120 ? `${text.slice(0, 119)}…` : text}`;
}

function kernelMatches(ref: string | undefined, kernel: KernelInfo): boolean {
  if (ref === undefined) return false;
  if ([kernel.id, kernel.release, kernel.debianVersion, kernel.upstreamVersion, kernel.debianPackage].includes(ref)) return true;
  return kernel.release.startsWith(`${ref}-`) || kernel.release.startsWith(`${ref}+`);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
