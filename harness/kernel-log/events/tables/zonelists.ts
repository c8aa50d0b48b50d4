import type { EventPatternTable } from '../event-pattern.ts';
import { decimal } from '../field-values.ts';

/** build_all_zonelists(): at boot, and again when hot(un)plug changes which zones are populated. */
export const zonelistsTable: EventPatternTable = {
  source: 'mm/page_alloc.c (6.1) / mm/mm_init.c (6.12)',
  patterns: [
    {
      format: 'Built %u zonelists, mobility grouping %s.  Total pages: %ld',
      seenIn: ['6.1', '6.12'],
      fields: ['zonelists', 'grouping', 'pages'],
      build: (f) => ({ type: 'zonelists-built', zonelists: decimal(f['zonelists']) ?? 0, mobilityGrouping: f['grouping'] === 'on', totalPages: decimal(f['pages']) ?? 0 }),
    },
  ],
};
