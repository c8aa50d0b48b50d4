import type { EventPatternTable } from '../event-pattern.ts';

/** add_taint(): the first taint (e.g. 'M' after a machine check) turns lockdep off and says so. */
export const panicTable: EventPatternTable = {
  source: 'kernel/panic.c',
  patterns: [{ format: 'Disabling lock debugging due to kernel taint', seenIn: ['6.1', '6.12'], fields: [], build: () => ({ type: 'taint-lock-debugging-off' }) }],
};
