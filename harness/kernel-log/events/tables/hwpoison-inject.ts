import type { EventPatternTable } from '../event-pattern.ts';
import { normalisePfn } from '../pfn.ts';

/** The hwpoison_inject module's debugfs corrupt-pfn (unpoison-pfn prints through memory-failure.c). */
export const hwpoisonInjectTable: EventPatternTable = {
  source: 'mm/hwpoison-inject.c',
  patterns: [
    {
      format: 'Injecting memory failure at pfn %#lx',
      seenIn: ['6.1', '6.12'],
      fields: ['pfn'],
      build: (f) => ({ type: 'hwpoison-injected', via: 'debugfs', pfn: normalisePfn(f['pfn'] ?? '') }),
    },
  ],
};
