import type { EventPatternTable } from '../event-pattern.ts';
import { decimal } from '../field-values.ts';
import { normaliseHex } from '../pfn.ts';

/** do_sigbus(): a user access hit a poisoned page (the late kill of memory_failure()). */
export const x86FaultTable: EventPatternTable = {
  source: 'arch/x86/mm/fault.c',
  patterns: [
    {
      format: 'MCE: Killing %s:%d due to hardware memory corruption fault at %lx',
      seenIn: ['6.1', '6.12'],
      fields: ['comm', 'pid', 'addr'],
      build: (f) => ({ type: 'mce-kill', comm: f['comm'] ?? '', pid: decimal(f['pid']) ?? -1, addr: normaliseHex(f['addr'] ?? '') }),
    },
  ],
};
