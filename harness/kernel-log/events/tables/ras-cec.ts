import type { EventPatternTable } from '../event-pattern.ts';
import { normalisePfn } from '../pfn.ts';

/** The corrected-errors collector soft-offlines pages with too many corrected errors (not built into 6.1.0-56). */
export const rasCecTable: EventPatternTable = {
  source: 'drivers/ras/cec.c',
  patterns: [
    { format: 'RAS: Soft-offlining pfn: 0x%llx', seenIn: ['6.12'], fields: ['pfn'], build: (f) => ({ type: 'ras-cec-soft-offline', pfn: normalisePfn(f['pfn'] ?? '') }) },
  ],
};
