/**
 * /proc/kpageflags bit names: include/uapi/linux/kernel-page-flags.h (0–26) and the
 * kernel-internal bits of include/linux/kernel-page-flags.h (32 and up), as in 6.1 and 6.12.
 */
export const KPAGEFLAG_BITS: Readonly<Record<number, string>> = {
  0: 'locked', 1: 'error', 2: 'referenced', 3: 'uptodate', 4: 'dirty', 5: 'lru', 6: 'active',
  7: 'slab', 8: 'writeback', 9: 'reclaim', 10: 'buddy', 11: 'mmap', 12: 'anon', 13: 'swapcache',
  14: 'swapbacked', 15: 'compound_head', 16: 'compound_tail', 17: 'huge', 18: 'unevictable',
  19: 'hwpoison', 20: 'nopage', 21: 'ksm', 22: 'thp', 23: 'offline', 24: 'zero_page', 25: 'idle',
  26: 'pgtable',
  32: 'reserved', 33: 'mlocked', 34: 'mappedtodisk', 35: 'private', 36: 'private_2',
  37: 'owner_private', 38: 'arch', 39: 'uncached', 40: 'softdirty', 41: 'arch_2', 42: 'arch_3',
};

export type KpageflagName = string;

export function kpageflagNames(flags: bigint): KpageflagName[] {
  const names: string[] = [];
  for (let bit = 0; bit < 64; bit++) {
    if ((flags >> BigInt(bit)) & 1n) names.push(KPAGEFLAG_BITS[bit] ?? `bit${bit}`);
  }
  return names;
}

export function kpageflagBit(name: string): number | undefined {
  const entry = Object.entries(KPAGEFLAG_BITS).find(([, n]) => n === name);
  return entry ? Number(entry[0]) : undefined;
}
