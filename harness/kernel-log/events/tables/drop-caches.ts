import type { EventPatternTable } from '../event-pattern.ts';
import { decimal } from '../field-values.ts';

/** "echo N > /proc/sys/vm/drop_caches": who did it; a handy landmark between test steps. */
export const dropCachesTable: EventPatternTable = {
  source: 'fs/drop_caches.c',
  patterns: [
    {
      format: '%s (%d): drop_caches: %d',
      seenIn: ['6.1', '6.12'],
      fields: ['comm', 'pid', 'mode'],
      build: (f) => ({ type: 'drop-caches', comm: f['comm'] ?? '', pid: decimal(f['pid']) ?? -1, mode: decimal(f['mode']) ?? 0 }),
    },
  ],
};
