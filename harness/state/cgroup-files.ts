/**
 * cgroup v2 interface files as the state oracle reads them: which files a `cgroup.GROUP.FILE`
 * state path may name, how each is laid out, and the parsers for their lines. The formats are
 * the ones Documentation/admin-guide/cgroup-v2.rst ("Interface Files: Format") defines:
 *
 *   single value   VAL                                   memory.current, hugetlb.2MB.max ("max")
 *   flat keyed     KEY VAL, one per line                 memory.stat, memory.events
 *   nested keyed   KEY SUB=VAL SUB=VAL ..., one per line memory.numa_stat (anon N0=4096 N1=0),
 *                                                        memory.pressure (some avg10=0.00 ... total=0)
 *
 * plus hugetlb's numa_stat, whose line starts with a pair: `total=2097152 N0=2097152`
 * (mm/hugetlb_cgroup.c hugetlb_cgroup_read_numa_stat; a v1 mount adds `hierarchical_total=…`).
 */

/** Where the harness mounts the cgroup v2 hierarchy in the guest (the guest's init does not). */
export const CGROUP_ROOT = '/sys/fs/cgroup';

/** Controllers a `cgroup` step can enable: the memory-related ones (cpuset for NUMA placement). */
export const CGROUP_CONTROLLERS = ['memory', 'hugetlb', 'pids', 'cpuset'] as const;
export type CgroupController = (typeof CGROUP_CONTROLLERS)[number];

export type CgroupFileFormat = 'single' | 'flat' | 'nested';

export interface CgroupFileSpec {
  /** The name as it appears in the group's directory; SIZE stands for a hugetlb page size (2MB, 1GB). */
  name: string;
  format: CgroupFileFormat;
  /** null: a core file (cgroup.*), there whatever the controllers. */
  controller: CgroupController | null;
  what: string;
}

const HUGETLB_SIZE = '[0-9]+[KMG]B';

/** The files a state path can name (others: `file: /sys/fs/cgroup/GROUP/NAME`). */
export const CGROUP_FILES: readonly CgroupFileSpec[] = [
  { name: 'memory.current', format: 'single', controller: 'memory', what: 'bytes charged to the group and its descendants (charged in per-CPU batches of up to 64 pages: not exact to the page)' },
  { name: 'memory.peak', format: 'single', controller: 'memory', what: 'the highest memory.current seen (5.19 and later)' },
  { name: 'memory.min', format: 'single', controller: 'memory', what: 'hard protection, bytes' },
  { name: 'memory.low', format: 'single', controller: 'memory', what: 'best-effort protection, bytes' },
  { name: 'memory.high', format: 'single', controller: 'memory', what: 'throttle limit, bytes or `max`' },
  { name: 'memory.max', format: 'single', controller: 'memory', what: 'hard limit, bytes or `max`' },
  { name: 'memory.oom.group', format: 'single', controller: 'memory', what: '1: the OOM killer kills the whole group' },
  { name: 'memory.events', format: 'flat', controller: 'memory', what: '`low`, `high`, `max`, `oom`, `oom_kill`, `oom_group_kill` counts, hierarchical' },
  { name: 'memory.events.local', format: 'flat', controller: 'memory', what: 'memory.events of the group alone' },
  { name: 'memory.stat', format: 'flat', controller: 'memory', what: 'bytes by type (`anon`, `file`, `shmem`, `file_dirty`, `anon_thp`, ...) and event counts (`pgfault`, ...); flushed from per-CPU counters at most every 2 s, or on a read once enough changed: a small change can show late' },
  { name: 'memory.numa_stat', format: 'nested', controller: 'memory', what: '`anon N0=… N1=…` bytes per node by type; `memory.numa_stat.anon` is the sum over nodes, `memory.numa_stat.anon.N0` one node' },
  { name: 'memory.pressure', format: 'nested', controller: 'memory', what: 'PSI: `some avg10=… total=…`, `full …` (`memory.pressure.some.total`)' },
  { name: 'memory.swap.current', format: 'single', controller: 'memory', what: 'swap used, bytes' },
  { name: 'memory.swap.peak', format: 'single', controller: 'memory', what: 'the highest memory.swap.current (6.5 and later)' },
  { name: 'memory.swap.high', format: 'single', controller: 'memory', what: 'swap throttle limit' },
  { name: 'memory.swap.max', format: 'single', controller: 'memory', what: 'swap hard limit' },
  { name: 'memory.swap.events', format: 'flat', controller: 'memory', what: '`high`, `max`, `fail` counts' },
  { name: 'memory.zswap.current', format: 'single', controller: 'memory', what: 'zswap pool bytes' },
  { name: 'memory.zswap.max', format: 'single', controller: 'memory', what: 'zswap limit' },
  { name: 'hugetlb.SIZE.current', format: 'single', controller: 'hugetlb', what: 'bytes of in-use huge pages of SIZE charged (at fault time) to the group and its descendants' },
  { name: 'hugetlb.SIZE.max', format: 'single', controller: 'hugetlb', what: 'limit, bytes or `max`' },
  { name: 'hugetlb.SIZE.rsvd.current', format: 'single', controller: 'hugetlb', what: 'bytes of huge page reservations (charged at mmap)' },
  { name: 'hugetlb.SIZE.rsvd.max', format: 'single', controller: 'hugetlb', what: 'reservation limit' },
  { name: 'hugetlb.SIZE.events', format: 'flat', controller: 'hugetlb', what: '`max`: allocations refused by the limit' },
  { name: 'hugetlb.SIZE.events.local', format: 'flat', controller: 'hugetlb', what: 'hugetlb.SIZE.events of the group alone' },
  { name: 'hugetlb.SIZE.numa_stat', format: 'nested', controller: 'hugetlb', what: '`total=… N0=…`: in-use huge page bytes, and per node (`hugetlb.2MB.numa_stat.total`, `hugetlb.2MB.numa_stat.total.N0`; 5.17 and later)' },
  { name: 'pids.current', format: 'single', controller: 'pids', what: 'processes in the group' },
  { name: 'pids.max', format: 'single', controller: 'pids', what: 'limit or `max`' },
  { name: 'pids.events', format: 'flat', controller: 'pids', what: '`max`: forks refused by the limit' },
  { name: 'cpuset.mems', format: 'single', controller: 'cpuset', what: 'the nodes asked for (`0-1`)' },
  { name: 'cpuset.mems.effective', format: 'single', controller: 'cpuset', what: 'the nodes granted' },
  { name: 'cpuset.cpus', format: 'single', controller: 'cpuset', what: 'the CPUs asked for' },
  { name: 'cpuset.cpus.effective', format: 'single', controller: 'cpuset', what: 'the CPUs granted' },
  { name: 'cgroup.events', format: 'flat', controller: null, what: '`populated`, `frozen` (1 or 0)' },
  { name: 'cgroup.stat', format: 'flat', controller: null, what: '`nr_descendants`, `nr_dying_descendants`, ...' },
  { name: 'cgroup.freeze', format: 'single', controller: null, what: '1: frozen' },
  { name: 'cgroup.type', format: 'single', controller: null, what: '`domain`, `threaded`, ...' },
];

const FILE_PATTERNS = CGROUP_FILES.map((spec) => ({ spec, pattern: new RegExp(`^${spec.name.replaceAll('.', '\\.').replace('SIZE', HUGETLB_SIZE)}$`) }));

/** The spec of a file name as the group's directory has it (hugetlb.2MB.current → hugetlb.SIZE.current). */
export function cgroupFileSpec(name: string): CgroupFileSpec | undefined {
  return FILE_PATTERNS.find(({ pattern }) => pattern.test(name))?.spec;
}

/** How many dot-separated key parts a file's state path takes after its name: [min, max]. */
export function keyPartsOf(format: CgroupFileFormat): [number, number] {
  return format === 'single' ? [0, 0] : format === 'flat' ? [1, 1] : [1, 2];
}

export interface ResolvedCgroupPath {
  file: string;
  spec: CgroupFileSpec;
  /** '' for a single-value file; `anon`, `total.N0`, `some.avg10`. */
  key: string;
}

/**
 * Splits what follows `cgroup.GROUP.` into a file and a key: the longest known file name that
 * is a prefix on a dot boundary (`memory.events.local.oom` is memory.events.local's `oom`).
 */
export function resolveCgroupPath(parts: readonly string[]): ResolvedCgroupPath | string {
  for (let end = parts.length; end >= 1; end--) {
    const file = parts.slice(0, end).join('.');
    const spec = cgroupFileSpec(file);
    if (!spec) continue;
    const keyParts = parts.slice(end);
    const [min, max] = keyPartsOf(spec.format);
    if (keyParts.length < min || keyParts.length > max) {
      const shape = spec.format === 'single' ? `${file} is a single value: nothing after it` : spec.format === 'flat' ? `${file} is flat-keyed: name one key, e.g. ${file}.${exampleKey(spec)}` : `${file} is nested-keyed: name a key and optionally a sub-key, e.g. ${file}.${exampleKey(spec)}`;
      return shape;
    }
    if (keyParts.some((part) => !/^[A-Za-z0-9_]+$/.test(part))) return `bad key '${keyParts.join('.')}' in ${file}`;
    return { file, spec, key: keyParts.join('.') };
  }
  return `no cgroup file '${parts.join('.')}' the state oracle knows (${knownFilesText()}); read any other with file: ${CGROUP_ROOT}/GROUP/NAME`;
}

/** `memory.{current,peak,...}, hugetlb.SIZE.{current,...}, ...`: the known files, short. */
function knownFilesText(): string {
  const byPrefix = new Map<string, string[]>();
  for (const { name } of CGROUP_FILES) {
    const prefix = name.startsWith('hugetlb.') ? 'hugetlb.SIZE' : name.split('.')[0]!;
    byPrefix.set(prefix, [...(byPrefix.get(prefix) ?? []), name.slice(prefix.length + 1)]);
  }
  return [...byPrefix].map(([prefix, rest]) => `${prefix}.{${rest.join(',')}}`).join(', ');
}

function exampleKey(spec: CgroupFileSpec): string {
  if (spec.name === 'memory.stat') return 'anon';
  if (spec.name.startsWith('hugetlb.') && spec.name.endsWith('numa_stat')) return 'total.N0';
  if (spec.name === 'memory.numa_stat') return 'anon.N0';
  if (spec.name === 'memory.pressure') return 'some.total';
  if (spec.name.startsWith('memory.events')) return 'oom';
  if (spec.name.startsWith('cgroup.events')) return 'populated';
  return 'max';
}

/**
 * The values of one line of a cgroup file, keyed as state paths name them:
 *   `2097152`                 → { '': '2097152' }
 *   `anon 4096`               → { anon: '4096' }
 *   `anon N0=4096 N1=0`       → { 'anon.N0': '4096', 'anon.N1': '0', anon: '4096' } (the sum, when every sub-key is a node)
 *   `some avg10=0.00 total=0` → { 'some.avg10': '0.00', 'some.total': '0' }
 *   `total=2097152 N0=2097152`→ { total: '2097152', 'total.N0': '2097152' }
 * A line of another shape keeps its first word as the key and the rest as the value.
 */
export function parseCgroupLine(line: string): Record<string, string> {
  const words = line.trim().split(/\s+/).filter((word) => word !== '');
  if (words.length === 0) return {};
  const out: Record<string, string> = {};
  const first = words[0]!;
  const pairs = (rest: readonly string[], key: string): boolean => {
    const parsed = rest.map((word) => /^([A-Za-z0-9_]+)=(\S*)$/.exec(word));
    if (parsed.some((match) => !match)) return false;
    for (const match of parsed) out[`${key}.${match![1]}`] = match![2]!;
    const nodes = parsed.every((match) => /^N\d+$/.test(match![1]!) && /^\d+$/.test(match![2]!));
    if (nodes && parsed.length > 0 && out[key] === undefined) out[key] = String(parsed.reduce((sum, match) => sum + Number(match![2]), 0));
    return true;
  };
  const lead = /^([A-Za-z0-9_]+)=(\S*)$/.exec(first);
  if (lead) {
    out[lead[1]!] = lead[2]!;
    if (pairs(words.slice(1), lead[1]!)) return out;
    return { [lead[1]!]: words.join(' ').slice(lead[1]!.length + 1) };
  }
  if (words.length === 1) return { '': first };
  if (words.length === 2 && !words[1]!.includes('=')) return { [first]: words[1]! };
  if (pairs(words.slice(1), first)) return out;
  return { [first]: words.slice(1).join(' ') };
}

/** Every line of a file's text, merged (a later line's key wins). */
export function parseCgroupFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) Object.assign(out, parseCgroupLine(line));
  return out;
}

/** A group name as a `cgroup` step writes it: `cg0`, or `outer/inner` for a nested one. */
export const CGROUP_NAME = /^[a-z][a-z0-9_-]{0,31}(\/[a-z][a-z0-9_-]{0,31}){0,3}$/;

/** The group and its ancestors below the root, outermost first: a/b → [a, a/b]. */
export function cgroupChain(name: string): string[] {
  const parts = name.split('/');
  return parts.map((_, index) => parts.slice(0, index + 1).join('/'));
}
