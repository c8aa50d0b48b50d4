import type { EventPatternTable } from '../event-pattern.ts';
import { normaliseHex, normalisePfn } from '../pfn.ts';

/** madvise(MADV_HWPOISON / MADV_SOFT_OFFLINE): madvise_inject_error() names the page it acts on. */
export const madviseTable: EventPatternTable = {
  source: 'mm/madvise.c',
  patterns: [
    {
      format: 'Injecting memory failure for pfn %#lx at process virtual address %#lx',
      seenIn: ['6.1', '6.12'],
      fields: ['pfn', 'vaddr'],
      build: (f) => ({ type: 'hwpoison-injected', via: 'madvise', pfn: normalisePfn(f['pfn'] ?? ''), vaddr: normaliseHex(f['vaddr'] ?? '') }),
    },
    {
      format: 'Soft offlining pfn %#lx at process virtual address %#lx',
      seenIn: ['6.1', '6.12'],
      fields: ['pfn', 'vaddr'],
      build: (f) => ({ type: 'soft-offline-requested', pfn: normalisePfn(f['pfn'] ?? ''), vaddr: normaliseHex(f['vaddr'] ?? '') }),
    },
  ],
};
