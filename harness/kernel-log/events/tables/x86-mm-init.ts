import type { EventPatternTable } from '../event-pattern.ts';
import { decimal } from '../field-values.ts';

/** The hotplug granularity, printed once at boot. */
export const x86MmInitTable: EventPatternTable = {
  source: 'arch/x86/mm/init_64.c',
  patterns: [
    { format: 'x86/mm: Memory block size: %ldMB', seenIn: ['6.1', '6.12'], fields: ['mib'], build: (f) => ({ type: 'memory-block-size', mib: decimal(f['mib']) ?? 0 }) },
  ],
};
