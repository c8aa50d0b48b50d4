import type { EventPatternTable } from '../event-pattern.ts';

/** The last line of dump_page(), e.g. after "migrating pfn ... failed" while offlining. */
export const mmDebugTable: EventPatternTable = {
  source: 'mm/debug.c',
  patterns: [{ format: 'page dumped because: %s', seenIn: ['6.1', '6.12'], fields: ['reason'], build: (f) => ({ type: 'page-dumped', reason: f['reason'] ?? '' }) }],
};
