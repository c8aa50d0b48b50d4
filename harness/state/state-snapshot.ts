import { available, notAvailable, type Availability } from './availability.ts';
import { kpageflagNames } from './kpageflags.ts';
import { snapshotCommand } from './snapshot-command.ts';

export const MEMORY_FAILURE_COUNTERS = ['total', 'ignored', 'failed', 'delayed', 'recovered'] as const;
export type MemoryFailureCounter = (typeof MEMORY_FAILURE_COUNTERS)[number];

export interface HugepagePool {
  nr: number;
  free: number;
  surplus: number;
}

export interface NodeState {
  memoryFailure: Availability<Record<MemoryFailureCounter, number>>;
  /** Keyed by page size, e.g. "2048kB". */
  hugepages: Record<string, HugepagePool>;
  blocks: string[];
}

export interface MemoryBlockState {
  state: string;
  validZones: string | null;
  removable: boolean | null;
}

export interface PageState {
  flags: string;
  names: string[];
}

/** What the kernel showed of its memory at one moment. */
export interface StateSnapshot {
  /** /proc/meminfo in kB (or pages for HugePages_* counts), by field name. */
  meminfo: Record<string, number>;
  tainted: Availability<number>;
  nrHugepages: Availability<number>;
  blockSizeBytes: Availability<number>;
  autoOnlineBlocks: Availability<string>;
  nodes: Record<string, NodeState>;
  memoryBlocks: Record<string, MemoryBlockState>;
  /** Keyed by PFN as lowercase hex "0x…". */
  pages: Record<string, Availability<PageState>>;
}

export type GuestRunner = (command: string) => Promise<{ stdout: string; exitCode: number | null; stderr: string }>;

export async function takeSnapshot(run: GuestRunner, options: { pfns?: readonly bigint[] } = {}): Promise<StateSnapshot> {
  const result = await run(snapshotCommand(options.pfns ?? []));
  return parseSnapshot(result.stdout, options.pfns ?? []);
}

/** Parses the `path:value` lines of snapshotCommand; unknown lines are ignored, not trusted. */
export function parseSnapshot(output: string, pfns: readonly bigint[]): StateSnapshot {
  const meminfo: Record<string, number> = {};
  const values = new Map<string, string>();
  const nodes: Record<string, NodeState> = {};
  const memoryBlocks: Record<string, MemoryBlockState> = {};
  const pages: Record<string, Availability<PageState>> = {};
  const node = (name: string): NodeState =>
    (nodes[name] ??= { memoryFailure: notAvailable('no memory_failure stats in this kernel'), hugepages: {}, blocks: [] });
  const block = (name: string): MemoryBlockState => (memoryBlocks[name] ??= { state: 'unknown', validZones: null, removable: null });

  for (const line of output.split('\n')) {
    let match: RegExpExecArray | null;
    if ((match = /^\/proc\/meminfo:([A-Za-z0-9_()]+):\s+(\d+)/.exec(line))) {
      meminfo[match[1]!] = Number(match[2]);
    } else if ((match = /^\/sys\/devices\/system\/node\/(node\d+)\/memory_failure\/(\w+):(\d+)$/.exec(line))) {
      const state = node(match[1]!);
      const counters = state.memoryFailure.available ? state.memoryFailure.value : ({} as Record<MemoryFailureCounter, number>);
      if ((MEMORY_FAILURE_COUNTERS as readonly string[]).includes(match[2]!)) counters[match[2] as MemoryFailureCounter] = Number(match[3]);
      state.memoryFailure = available(counters);
    } else if ((match = /^\/sys\/devices\/system\/node\/(node\d+)\/hugepages\/hugepages-(\d+kB)\/(nr|free|surplus)_hugepages:(\d+)$/.exec(line))) {
      const pools = node(match[1]!).hugepages;
      const pool = (pools[match[2]!] ??= { nr: 0, free: 0, surplus: 0 });
      pool[match[3] as keyof HugepagePool] = Number(match[4]);
    } else if ((match = /^\/sys\/devices\/system\/memory\/(memory\d+)\/(state|valid_zones|removable):(.*)$/.exec(line))) {
      const entry = block(match[1]!);
      const value = match[3]!.trim();
      if (match[2] === 'state') entry.state = value;
      else if (match[2] === 'valid_zones') entry.validZones = value;
      else entry.removable = value === '1';
    } else if ((match = /^nodeblock:(node\d+):(memory\d+)$/.exec(line))) {
      node(match[1]!).blocks.push(match[2]!);
    } else if ((match = /^kpageflags:(0x[0-9a-f]+):([0-9a-f]*)$/.exec(line))) {
      const raw = match[2]!;
      pages[match[1]!] = raw.length === 16
        ? available({ flags: `0x${BigInt(`0x${raw}`).toString(16)}`, names: kpageflagNames(BigInt(`0x${raw}`)) })
        : notAvailable('PFN beyond the end of /proc/kpageflags');
    } else if ((match = /^(\/[^:]+):(.*)$/.exec(line))) {
      values.set(match[1]!, match[2]!.trim());
    }
  }
  for (const pfn of pfns) pages[`0x${pfn.toString(16)}`] ??= notAvailable('not read');
  const numeric = (path: string, what: string): Availability<number> => {
    const raw = values.get(path);
    return raw !== undefined && /^\d+$/.test(raw) ? available(Number(raw)) : notAvailable(`${what} not available`);
  };
  const blockSize = values.get('/sys/devices/system/memory/block_size_bytes');
  const autoOnline = values.get('/sys/devices/system/memory/auto_online_blocks');
  return {
    meminfo,
    tainted: numeric('/proc/sys/kernel/tainted', '/proc/sys/kernel/tainted'),
    nrHugepages: numeric('/proc/sys/vm/nr_hugepages', '/proc/sys/vm/nr_hugepages'),
    blockSizeBytes: blockSize && /^[0-9a-f]+$/i.test(blockSize) ? available(Number.parseInt(blockSize, 16)) : notAvailable('no memory block size'),
    autoOnlineBlocks: autoOnline ? available(autoOnline) : notAvailable('no auto_online_blocks'),
    nodes,
    memoryBlocks,
    pages,
  };
}
