import type { EventPatternTable } from '../event-pattern.ts';
import { decimal } from '../field-values.ts';

/** The memory block devices (/sys/devices/system/memory); it prints almost nothing itself. */
export const memoryBlockTable: EventPatternTable = {
  source: 'drivers/base/memory.c',
  patterns: [
    {
      format: 'Kernel panic - not syncing: %s() failed to add memory block: %d',
      seenIn: ['6.1', '6.12'],
      fields: ['func', 'error'],
      build: (f) => ({ type: 'memory-block-add-failed', func: f['func'] ?? '', error: decimal(f['error']) ?? 0 }),
    },
  ],
};
