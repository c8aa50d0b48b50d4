import { available, notAvailable, type Availability } from './availability.ts';
import { MEMORY_FAILURE_COUNTERS, type HugepagePool, type MemoryFailureCounter, type StateSnapshot } from './state-snapshot.ts';

export interface NumberChange {
  before: number;
  after: number;
  delta: number;
}

export interface TextChange {
  before: string | null;
  after: string | null;
}

/** A value read as text (a `file:` file, a cgroup file's key): null where it was absent; delta when both are whole numbers. */
export interface ValueChange {
  before: string | null;
  after: string | null;
  delta?: number;
}

export interface PageChange {
  before: string[];
  after: string[];
  set: string[];
  cleared: string[];
  /**
   * The page was read in the after snapshot only (its target was prepared, or first faulted in,
   * after the before snapshot): `after` holds, `before`, `set` and `cleared` are empty and mean nothing.
   */
  afterOnly?: true;
}

/**
 * What changed between two snapshots: only changed values are listed, so an empty section
 * means "no change". Sections a kernel cannot show are `available: false`, never zero.
 */
export interface StateDiff {
  meminfo: Record<string, NumberChange>;
  tainted: Availability<{ before: number; after: number; addedBits: number[]; removedBits: number[] }>;
  memoryFailure: Record<string, Availability<Partial<Record<MemoryFailureCounter, NumberChange>>>>;
  hugepages: Record<string, Record<string, Partial<Record<keyof HugepagePool, NumberChange>>>>;
  memoryBlocks: Record<string, { state?: TextChange; validZones?: TextChange; present?: TextChange }>;
  pages: Record<string, Availability<PageChange>>;
  /** `file:` files that changed (or could be read on one side only), by path. Absent in results written before files were read. */
  files?: Record<string, ValueChange>;
  /**
   * The case's cgroups: per group, the values that changed, keyed `FILE` (single value) or
   * `FILE.KEY` (`memory.stat.anon`), and `present` when the group came or went.
   */
  cgroups?: Record<string, Record<string, ValueChange>>;
}

function change(before: number, after: number): NumberChange | undefined {
  return before === after ? undefined : { before, after, delta: after - before };
}

function bitsOf(value: number): number[] {
  const bits: number[] = [];
  for (let bit = 0; bit < 32; bit++) if ((value >>> bit) & 1) bits.push(bit);
  return bits;
}

export function diffSnapshots(before: StateSnapshot, after: StateSnapshot): StateDiff {
  const meminfo: Record<string, NumberChange> = {};
  for (const key of new Set([...Object.keys(before.meminfo), ...Object.keys(after.meminfo)])) {
    const delta = change(before.meminfo[key] ?? 0, after.meminfo[key] ?? 0);
    if (delta) meminfo[key] = delta;
  }

  const tainted =
    before.tainted.available && after.tainted.available
      ? available({
          before: before.tainted.value,
          after: after.tainted.value,
          addedBits: bitsOf(after.tainted.value & ~before.tainted.value),
          removedBits: bitsOf(before.tainted.value & ~after.tainted.value),
        })
      : notAvailable<never>('taint flags not available');

  const memoryFailure: StateDiff['memoryFailure'] = {};
  const hugepages: StateDiff['hugepages'] = {};
  for (const node of new Set([...Object.keys(before.nodes), ...Object.keys(after.nodes)])) {
    const b = before.nodes[node];
    const a = after.nodes[node];
    if (b?.memoryFailure.available && a?.memoryFailure.available) {
      const counters: Partial<Record<MemoryFailureCounter, NumberChange>> = {};
      for (const counter of MEMORY_FAILURE_COUNTERS) {
        const delta = change(b.memoryFailure.value[counter] ?? 0, a.memoryFailure.value[counter] ?? 0);
        if (delta) counters[counter] = delta;
      }
      memoryFailure[node] = available(counters);
    } else {
      memoryFailure[node] = notAvailable('per-node memory_failure stats not available in this kernel');
    }
    const sizes = new Set([...Object.keys(b?.hugepages ?? {}), ...Object.keys(a?.hugepages ?? {})]);
    for (const size of sizes) {
      const pb = b?.hugepages[size] ?? { nr: 0, free: 0, surplus: 0 };
      const pa = a?.hugepages[size] ?? { nr: 0, free: 0, surplus: 0 };
      const pool: Partial<Record<keyof HugepagePool, NumberChange>> = {};
      for (const field of ['nr', 'free', 'surplus'] as const) {
        const delta = change(pb[field], pa[field]);
        if (delta) pool[field] = delta;
      }
      if (Object.keys(pool).length > 0) (hugepages[node] ??= {})[size] = pool;
    }
  }

  const memoryBlocks: StateDiff['memoryBlocks'] = {};
  for (const name of new Set([...Object.keys(before.memoryBlocks), ...Object.keys(after.memoryBlocks)])) {
    const b = before.memoryBlocks[name];
    const a = after.memoryBlocks[name];
    const entry: StateDiff['memoryBlocks'][string] = {};
    if (!b || !a) entry.present = { before: b ? 'present' : null, after: a ? 'present' : null };
    if (b && a && b.state !== a.state) entry.state = { before: b.state, after: a.state };
    if (b && a && b.validZones !== a.validZones) entry.validZones = { before: b.validZones, after: a.validZones };
    if (Object.keys(entry).length > 0) memoryBlocks[name] = entry;
  }

  const pages: StateDiff['pages'] = {};
  for (const pfn of new Set([...Object.keys(before.pages), ...Object.keys(after.pages)])) {
    const b = before.pages[pfn];
    const a = after.pages[pfn];
    if (a?.available && !b) {
      pages[pfn] = available({ before: [], after: a.value.names, set: [], cleared: [], afterOnly: true });
      continue;
    }
    if (!b?.available || !a?.available) {
      pages[pfn] = notAvailable((a && !a.available ? a.reason : b && !b.available ? b.reason : undefined) ?? 'not read in both snapshots');
      continue;
    }
    pages[pfn] = available({
      before: b.value.names,
      after: a.value.names,
      set: a.value.names.filter((n) => !b.value.names.includes(n)),
      cleared: b.value.names.filter((n) => !a.value.names.includes(n)),
    });
  }
  return { meminfo, tainted, memoryFailure, hugepages, memoryBlocks, pages, files: diffFiles(before, after), cgroups: diffCgroups(before, after) };
}

const WHOLE = /^-?\d+$/;

/** before → after of two texts, with the delta when both are whole numbers; undefined when equal. */
export function valueChange(before: string | null, after: string | null): ValueChange | undefined {
  if (before === after) return undefined;
  const change: ValueChange = { before, after };
  if (before !== null && after !== null && WHOLE.test(before) && WHOLE.test(after)) change.delta = Number(after) - Number(before);
  return change;
}

function diffFiles(before: StateSnapshot, after: StateSnapshot): Record<string, ValueChange> {
  const out: Record<string, ValueChange> = {};
  for (const file of new Set([...Object.keys(before.files ?? {}), ...Object.keys(after.files ?? {})])) {
    const read = (snapshot: StateSnapshot): string | null => {
      const entry = snapshot.files?.[file];
      return entry?.available ? entry.value.text : null;
    };
    const change = valueChange(read(before), read(after));
    if (change) out[file] = change;
  }
  return out;
}

/** The key a cgroup value is diffed and reported under: the file alone for a single value. */
export function cgroupValueKey(file: string, key: string): string {
  return key === '' ? file : `${file}.${key}`;
}

function diffCgroups(before: StateSnapshot, after: StateSnapshot): Record<string, Record<string, ValueChange>> {
  const out: Record<string, Record<string, ValueChange>> = {};
  for (const group of new Set([...Object.keys(before.cgroups ?? {}), ...Object.keys(after.cgroups ?? {})])) {
    const b = before.cgroups?.[group];
    const a = after.cgroups?.[group];
    const entry: Record<string, ValueChange> = {};
    if (!b || !a) entry['present'] = { before: b ? 'present' : null, after: a ? 'present' : null };
    for (const file of new Set([...Object.keys(b?.files ?? {}), ...Object.keys(a?.files ?? {})])) {
      const fb = b?.files[file] ?? {};
      const fa = a?.files[file] ?? {};
      for (const key of new Set([...Object.keys(fb), ...Object.keys(fa)])) {
        const change = valueChange(fb[key] ?? null, fa[key] ?? null);
        if (change) entry[cgroupValueKey(file, key)] = change;
      }
    }
    if (Object.keys(entry).length > 0) out[group] = entry;
  }
  return out;
}
