import { CGROUP_ROOT } from './cgroup-files.ts';

/** A cgroup whose files a snapshot reads: the case's `cgroup` steps make it. */
export interface SnapshotCgroup {
  name: string;
  /** The controllers enabled for it: their files are read (memory.*, hugetlb.*), and cgroup.events, cgroup.stat. */
  controllers: readonly string[];
}

/** What a snapshot reads beyond the fixed set: for the case that names them. */
export interface SnapshotExtras {
  /** Files `file:` expectations name (absolute, under /proc or /sys: lint checked), each read whole up to FILE_READ_LIMIT bytes. */
  files?: readonly string[];
  cgroups?: readonly SnapshotCgroup[];
}

/** How much of a `file:` file a snapshot keeps (one byte more is read, to tell a cut). */
export const FILE_READ_LIMIT = 4096;
/** A read that takes longer is given up (a file that blocks would hold the snapshot forever). */
export const FILE_READ_TIMEOUT_S = 5;

/** Single-quoted for the guest's shell; the paths and names reaching here are validated, this is a second fence. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * One guest shell command that prints everything the state oracle reads, as `path:value`
 * lines (grep -H), so a snapshot costs one SSH round trip whatever the number of files.
 * Files a kernel lacks simply print nothing and show up as "not available".
 */
export function snapshotCommand(pfns: readonly bigint[], extras: SnapshotExtras = {}): string {
  const files = [
    '/proc/meminfo',
    '/proc/sys/kernel/tainted',
    '/proc/sys/vm/nr_hugepages',
    '/proc/sys/vm/nr_overcommit_hugepages',
    '/sys/devices/system/memory/block_size_bytes',
    '/sys/devices/system/memory/auto_online_blocks',
    '/sys/devices/system/node/node*/memory_failure/*',
    '/sys/devices/system/node/node*/hugepages/hugepages-*/*_hugepages',
    '/sys/devices/system/memory/memory*/state',
    '/sys/devices/system/memory/memory*/valid_zones',
    '/sys/devices/system/memory/memory*/removable',
  ];
  const parts = [
    `grep -H . ${files.join(' ')} 2>/dev/null`,
    // Which node each memory block belongs to: the node directories link their blocks.
    `for n in /sys/devices/system/node/node*; do for b in $n/memory[0-9]*; do [ -e "$b" ] && echo "nodeblock:\${n##*/}:\${b##*/}"; done; done`,
  ];
  for (const pfn of pfns) {
    // kpageflags is an array of u64 indexed by PFN; od prints it in hex.
    parts.push(`echo "kpageflags:0x${pfn.toString(16)}:$(dd if=/proc/kpageflags bs=8 skip=${pfn} count=1 2>/dev/null | od -An -tx8 | tr -d ' ')"`);
  }
  parts.push(...cgroupCommands(extras.cgroups ?? []), ...fileCommands(extras.files ?? []));
  return parts.join('; ');
}

/**
 * Each group that exists says so (`cgroupdir:NAME`: a group with no readable file is still
 * there), then one grep prints every line of its files as `/sys/fs/cgroup/NAME/FILE:LINE`.
 */
function cgroupCommands(cgroups: readonly SnapshotCgroup[]): string[] {
  if (cgroups.length === 0) return [];
  const globs: string[] = [];
  const dirs: string[] = [];
  for (const group of cgroups) {
    const dir = `${CGROUP_ROOT}/${group.name}`;
    dirs.push(`[ -d ${shellQuote(dir)} ] && echo ${shellQuote(`cgroupdir:${group.name}`)}`);
    for (const controller of [...new Set(group.controllers)]) globs.push(`${shellQuote(dir)}/${controller}.*`);
    globs.push(`${shellQuote(dir)}/cgroup.events`, `${shellQuote(dir)}/cgroup.stat`, `${shellQuote(dir)}/cgroup.freeze`, `${shellQuote(dir)}/cgroup.type`);
  }
  return [...dirs, `grep -H . ${globs.join(' ')} 2>/dev/null`];
}

/**
 * `file:` files, by their index in the list: `filemissing:N`, `fileerror:N` (it exists but
 * reading failed or timed out), or `filedata:N:LINE` per line then `fileend:N`. The reads go
 * through head -c, so a large file costs at most FILE_READ_LIMIT + 1 bytes.
 */
function fileCommands(files: readonly string[]): string[] {
  if (files.length === 0) return [];
  const define = `mhf() { if [ ! -e "$2" ]; then echo "filemissing:$1"; elif v=$(timeout ${FILE_READ_TIMEOUT_S} head -c ${FILE_READ_LIMIT + 1} "$2" 2>/dev/null); then printf '%s\\n' "$v" | while IFS= read -r l; do echo "filedata:$1:$l"; done; echo "fileend:$1"; else echo "fileerror:$1"; fi; }`;
  return [define, ...files.map((file, index) => `mhf ${index} ${shellQuote(file)}`)];
}
