import type { EventPatternTable } from '../event-pattern.ts';
import { decimal } from '../field-values.ts';
import { normaliseHex, normalisePfn } from '../pfn.ts';

const BOTH = ['6.1', '6.12'] as const;

/**
 * Memory block on/offlining. The failure lines are pr_debug: they only reach the log with
 * dynamic debug on (echo 'file mm/memory_hotplug.c +p' > .../dynamic_debug/control), and
 * then at level 7, below the console loglevel: kmsg has them, the console does not.
 */
export const memoryHotplugTable: EventPatternTable = {
  source: 'mm/memory_hotplug.c',
  patterns: [
    {
      format: 'memory offlining [mem %#010llx-%#010llx] failed due to %s',
      seenIn: BOTH,
      fields: ['start', 'end', 'reason'],
      build: (f) => ({ type: 'memory-offline-failed', start: normaliseHex(f['start'] ?? ''), end: normaliseHex(f['end'] ?? ''), reason: f['reason'] ?? '' }),
    },
    {
      format: 'online_pages [mem %#010llx-%#010llx] failed',
      seenIn: BOTH,
      fields: ['start', 'end'],
      build: (f) => ({ type: 'memory-online-failed', start: normaliseHex(f['start'] ?? ''), end: normaliseHex(f['end'] ?? '') }),
    },
    { format: 'Offlined Pages %ld', seenIn: BOTH, fields: ['pages'], build: (f) => ({ type: 'memory-offlined', pages: decimal(f['pages']) ?? 0 }) },
    {
      format: 'migrating pfn %lx failed ret:%d',
      seenIn: BOTH,
      fields: ['pfn', 'ret'],
      build: (f) => ({ type: 'page-migration-failed', pfn: normalisePfn(f['pfn'] ?? ''), ret: decimal(f['ret']) ?? 0 }),
    },
    {
      format: 'Memory hotplug will waste %ld pages in each memory block',
      seenIn: ['6.12'],
      fields: ['pages'],
      build: (f) => ({ type: 'hotplug-memmap-waste', pages: decimal(f['pages']) ?? 0 }),
    },
  ],
};
