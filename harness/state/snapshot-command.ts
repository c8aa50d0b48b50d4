/**
 * One guest shell command that prints everything the state oracle reads, as `path:value`
 * lines (grep -H), so a snapshot costs one SSH round trip whatever the number of files.
 * Files a kernel lacks simply print nothing and show up as "not available".
 */
export function snapshotCommand(pfns: readonly bigint[]): string {
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
  return parts.join('; ');
}
