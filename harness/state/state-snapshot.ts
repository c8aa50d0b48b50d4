import { available, notAvailable, type Availability } from './availability.ts';
import { CGROUP_ROOT, parseCgroupLine } from './cgroup-files.ts';
import { kpageflagNames } from './kpageflags.ts';
import { FILE_READ_LIMIT, snapshotCommand, type SnapshotExtras } from './snapshot-command.ts';

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

/** A file a `file:` expectation names, as read: its text without the trailing newline. */
export interface FileRead {
  text: string;
  /** Longer than FILE_READ_LIMIT bytes: `text` is its first FILE_READ_LIMIT characters. */
  truncated: boolean;
}

/** A cgroup that existed at the snapshot: each file read, by name, as parseCgroupLine keys it. */
export interface CgroupState {
  files: Record<string, Record<string, string>>;
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
  /** The files asked for (SnapshotExtras.files), by path: not available when missing or unreadable. */
  files: Record<string, Availability<FileRead>>;
  /** The cgroups asked for that existed, by name (`cg0`, `outer/inner`). */
  cgroups: Record<string, CgroupState>;
}

export type GuestRunner = (command: string) => Promise<{ stdout: string; exitCode: number | null; stderr: string }>;

export interface SnapshotOptions extends SnapshotExtras {
  pfns?: readonly bigint[];
}

export async function takeSnapshot(run: GuestRunner, options: SnapshotOptions = {}): Promise<StateSnapshot> {
  const result = await run(snapshotCommand(options.pfns ?? [], options));
  return parseSnapshot(result.stdout, options.pfns ?? [], options);
}

/** Parses the `path:value` lines of snapshotCommand; unknown lines are ignored, not trusted. */
export function parseSnapshot(output: string, pfns: readonly bigint[], extras: SnapshotExtras = {}): StateSnapshot {
  const meminfo: Record<string, number> = {};
  const values = new Map<string, string>();
  const nodes: Record<string, NodeState> = {};
  const memoryBlocks: Record<string, MemoryBlockState> = {};
  const pages: Record<string, Availability<PageState>> = {};
  const node = (name: string): NodeState =>
    (nodes[name] ??= { memoryFailure: notAvailable('no memory_failure stats in this kernel'), hugepages: {}, blocks: [] });
  const block = (name: string): MemoryBlockState => (memoryBlocks[name] ??= { state: 'unknown', validZones: null, removable: null });
  const cgroups: Record<string, CgroupState> = {};
  const wantedGroups = new Set((extras.cgroups ?? []).map((group) => group.name));
  const fileLines = new Map<number, string[]>();
  const fileEnds = new Map<number, 'end' | 'missing' | 'error'>();

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
    } else if ((match = /^cgroupdir:([a-z0-9_/-]+)$/.exec(line))) {
      if (wantedGroups.has(match[1]!)) cgroups[match[1]!] ??= { files: {} };
    } else if (line.startsWith(`${CGROUP_ROOT}/`) && (match = /^\/sys\/fs\/cgroup\/([a-z0-9_/-]+)\/([A-Za-z0-9_.]+):(.*)$/.exec(line))) {
      if (!wantedGroups.has(match[1]!)) continue;
      const group = (cgroups[match[1]!] ??= { files: {} });
      Object.assign((group.files[match[2]!] ??= {}), parseCgroupLine(match[3]!));
    } else if ((match = /^filedata:(\d+):(.*)$/.exec(line))) {
      const lines = fileLines.get(Number(match[1])) ?? [];
      lines.push(match[2]!);
      fileLines.set(Number(match[1]), lines);
    } else if ((match = /^file(end|missing|error):(\d+)$/.exec(line))) {
      fileEnds.set(Number(match[2]), match[1] as 'end' | 'missing' | 'error');
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
    files: readFiles(extras.files ?? [], fileLines, fileEnds),
    cgroups,
  };
}

function readFiles(files: readonly string[], lines: ReadonlyMap<number, string[]>, ends: ReadonlyMap<number, 'end' | 'missing' | 'error'>): Record<string, Availability<FileRead>> {
  const out: Record<string, Availability<FileRead>> = {};
  files.forEach((file, index) => {
    const end = ends.get(index);
    if (end === 'missing') out[file] = notAvailable(`${file} does not exist`);
    else if (end === 'error') out[file] = notAvailable(`${file} exists but could not be read (a read error, or no answer within the read timeout)`);
    else if (end !== 'end') out[file] = notAvailable(`${file} was not read (the snapshot's output stopped early)`);
    else {
      const text = (lines.get(index) ?? []).join('\n');
      out[file] = available(text.length > FILE_READ_LIMIT ? { text: text.slice(0, FILE_READ_LIMIT), truncated: true } : { text, truncated: false });
    }
  });
  return out;
}
