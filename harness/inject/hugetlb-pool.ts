import { HarnessError } from '../util/errors.ts';
import type { Guest } from '../vm/guest.ts';

/**
 * The hugetlb pool a `hugetlb` or `hugetlb-free` target takes its page from, and what the
 * harness writes to it. The decision is pure (decidePool, poolProblem: unit-tested); the
 * guest side only reads sysfs, writes the one number decided, and reads it back.
 *
 * A case that sets the pool itself (`pool:` on the target, or a `sysctl`/`shell` step before
 * it) gets exactly that: without `pool:` the harness only ever grows a pool to its default
 * (never shrinks one the case made larger), and every write is said in the step summary,
 * from what to what.
 */

export const HUGEPAGE_SIZES = ['2M', '1G'] as const;
export type HugepageSize = (typeof HUGEPAGE_SIZES)[number];

/** sysfs's name of a size's pool directory (hugepages-2048kB), and the state paths' SIZE. */
export const HUGEPAGE_SIZE_KB: Readonly<Record<HugepageSize, number>> = { '2M': 2048, '1G': 1048576 };

/**
 * The pool a target without `pool:` wants: 4 pages of 2 MiB (what every target had before
 * `pool:` existed: room for a soft offline's or a migration's destination page), one of 1 GiB
 * (gigantic pages come from the boot command line, and each is a quarter of a default guest).
 */
export const DEFAULT_POOL: Readonly<Record<HugepageSize, number>> = { '2M': 4, '1G': 1 };

/** What a 1 GiB pool needs from the guest, said wherever one is missing or short. */
export const GIGANTIC_POOL_HINT =
  "1 GiB pages are seldom free once the guest runs: boot it with them, guest: { cmdline: [hugepagesz=1G, hugepages=N] }, on a CPU with 1 GiB pages (cpuModel: 'qemu64,vendor=GenuineIntel,+rdrand,+pdpe1gb')";

/** One pool as sysfs shows it: the whole size's (`node` null) or one node's. */
export interface PoolState {
  /** nr_hugepages: the persistent pool. */
  nr: number;
  free: number;
  surplus: number;
  /** resv_hugepages (promised to mappings, still counted free); null for a node's pool (sysfs keeps none). */
  reserved: number | null;
}

export interface PoolRequest {
  size: HugepageSize;
  /** `pool:` as the case wrote it; null: the harness's default. */
  pool: number | null;
  /** A node's pool (`node:` on the target), or the whole size's. */
  node: number | null;
  /** Free, unreserved pages the target takes from this pool (its `pages:`, 1 for hugetlb-free). */
  need: number;
}

export interface PoolDecision {
  /** The nr_hugepages to write; null: leave the pool as it is. */
  write: number | null;
  /** For the step summary: the pool before, and what was done to it and why. */
  summary: string;
}

export function sizeKb(size: HugepageSize): number {
  return HUGEPAGE_SIZE_KB[size];
}

/** The sysfs directory of a pool (the per-size one, or one node's). */
export function poolDirectory(size: HugepageSize, node: number | null): string {
  const dir = `hugepages/hugepages-${sizeKb(size)}kB`;
  return node === null ? `/sys/kernel/mm/${dir}` : `/sys/devices/system/node/node${node}/${dir}`;
}

function poolName(request: Pick<PoolRequest, 'size' | 'node'>): string {
  return `${request.node === null ? '' : `node ${request.node}'s `}${sizeKb(request.size)}kB hugetlb pool`;
}

/** Pages a new mapping can still get: free and not promised to another mapping. */
function available(state: PoolState): number {
  return state.free - (state.reserved ?? 0);
}

function pages(n: number): string {
  return `${n} page${n === 1 ? '' : 's'}`;
}

/** Why the pool cannot be had at all (the kernel has none of that size), or null. */
export function missingPoolProblem(request: Pick<PoolRequest, 'size' | 'node'>): string {
  const where = poolDirectory(request.size, request.node);
  if (request.size === '1G') return `the guest has no 1 GiB hugetlb pool (${where} does not exist): ${GIGANTIC_POOL_HINT}`;
  return `the guest has no ${poolName(request)} (${where} does not exist: a kernel without CONFIG_HUGETLB_PAGE, or a node without memory)`;
}

/**
 * What to write to the pool, given how it is now, and the words for the step summary.
 * `pool: N` is written as asked (and left alone when it already is N); without it, the pool
 * grows to the default, and further if the target's pages are not free, but is never shrunk.
 */
export function decidePool(state: PoolState, request: PoolRequest): PoolDecision {
  const name = poolName(request);
  if (request.pool !== null) {
    if (state.nr === request.pool) return { write: null, summary: `${name} already ${pages(state.nr)}, as pool: ${request.pool} asks: left as it is` };
    return { write: request.pool, summary: `${name} ${state.nr} → ${pages(request.pool)} (pool: ${request.pool})` };
  }
  const fallback = DEFAULT_POOL[request.size];
  let want = Math.max(state.nr, fallback);
  const short = request.need - (available(state) + (want - state.nr));
  if (short > 0) want += short;
  if (want === state.nr) {
    if (state.nr > fallback) return { write: null, summary: `${name} left at ${pages(state.nr)}, as the case set it (the harness's default is ${fallback}; pool: N sets it)` };
    return { write: null, summary: `${name} already ${pages(state.nr)}, the harness's default: left as it is` };
  }
  const why = short > 0 ? `the harness's default ${fallback}, grown for the ${pages(request.need)} the target takes (${available(state)} free)` : `the harness's default`;
  return { write: want, summary: `${name} ${state.nr} → ${pages(want)} (${why}; pool: N sets it)` };
}

/** Why the pool, as read back after the decision, does not serve the target; null when it does. */
export function poolProblem(request: PoolRequest, decision: PoolDecision, after: PoolState): string | null {
  const name = poolName(request);
  const hint = request.size === '1G' ? `; ${GIGANTIC_POOL_HINT}` : '';
  if (decision.write !== null && after.nr !== decision.write) {
    return `could not make the ${name} ${pages(decision.write)}: the kernel has ${after.nr} (not enough free contiguous memory?)${hint}`;
  }
  if (available(after) < request.need) {
    const reserved = after.reserved ? `, ${after.reserved} of them reserved` : '';
    const asked = request.pool !== null ? `pool: ${request.pool} leaves` : 'the pool has';
    return `the target needs ${pages(request.need)} free in the ${name}; ${asked} ${after.free} free${reserved} (${after.nr} in all)${request.pool !== null ? '; raise pool:' : ''}${hint}`;
  }
  return null;
}

/** The shell command that prints a pool's numbers (nr, free, surplus[, resv]) or `missing`. */
export function poolReadCommand(size: HugepageSize, node: number | null): string {
  const dir = poolDirectory(size, node);
  const files = ['nr', 'free', 'surplus', ...(node === null ? ['resv'] : [])].map((field) => `${dir}/${field}_hugepages`);
  return `if [ -d ${dir} ]; then cat ${files.join(' ')}; else echo missing; fi`;
}

/** Parses poolReadCommand's output: the state, null for `missing`, or a message. */
export function parsePoolState(stdout: string, node: number | null): PoolState | null | string {
  const text = stdout.trim();
  if (text === 'missing') return null;
  const numbers = text.split(/\s+/).map(Number);
  const expected = node === null ? 4 : 3;
  if (numbers.length !== expected || numbers.some((n) => !Number.isInteger(n) || n < 0)) return `unreadable hugetlb pool state: ${JSON.stringify(text)}`;
  const [nr, free, surplus, reserved] = numbers as [number, number, number, number?];
  return { nr, free, surplus, reserved: node === null ? (reserved ?? 0) : null };
}

/** A pool as the guest's sysfs has it now; null when the kernel has no such pool. `prefix`: a command run first, in the same shell. */
export async function readPoolState(guest: Guest, size: HugepageSize, node: number | null, prefix = ''): Promise<PoolState | null> {
  const result = await guest.exec(`${prefix}${poolReadCommand(size, node)}`);
  const state = parsePoolState(result.stdout, node);
  if (typeof state === 'string') throw new HarnessError('guest', `${state}${result.stderr.trim() ? `: ${result.stderr.trim()}` : ''}`);
  return state;
}

/**
 * Makes the pool serve the target as decidePool says, and returns the summary. A pool the
 * kernel does not have, or one that cannot be made as asked or has too few free pages for the
 * target, is a set-up failure whose message says what to change (for 1 GiB: the boot cmdline).
 */
export async function ensureHugetlbPool(guest: Guest, request: PoolRequest): Promise<string> {
  const before = await readPoolState(guest, request.size, request.node);
  if (before === null) throw new HarnessError('guest', missingPoolProblem(request));
  const decision = decidePool(before, request);
  const after = decision.write === null ? before : await readPoolState(guest, request.size, request.node, `echo ${decision.write} > ${poolDirectory(request.size, request.node)}/nr_hugepages; `);
  if (after === null) throw new HarnessError('guest', missingPoolProblem(request));
  const problem = poolProblem(request, decision, after);
  if (problem) throw new HarnessError('guest', `${decision.summary}: ${problem}`);
  return decision.summary;
}
