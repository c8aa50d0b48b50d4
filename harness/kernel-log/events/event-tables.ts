import type { EventPatternTable } from './event-pattern.ts';
import { acpiMemoryHotplugTable } from './tables/acpi-memory-hotplug.ts';
import { dropCachesTable } from './tables/drop-caches.ts';
import { hwpoisonInjectTable } from './tables/hwpoison-inject.ts';
import { panicTable } from './tables/kernel-panic.ts';
import { madviseTable } from './tables/madvise.ts';
import { mceCoreTable } from './tables/mce-core.ts';
import { memoryBlockTable } from './tables/memory-block.ts';
import { memoryFailureTable } from './tables/memory-failure.ts';
import { memoryHotplugTable } from './tables/memory-hotplug.ts';
import { mmDebugTable } from './tables/mm-debug.ts';
import { rasCecTable } from './tables/ras-cec.ts';
import { x86FaultTable } from './tables/x86-fault.ts';
import { x86MmInitTable } from './tables/x86-mm-init.ts';
import { zonelistsTable } from './tables/zonelists.ts';

/**
 * Every table, in matching order. Order matters only where formats overlap: the generic
 * "Kernel panic - not syncing: %s" (MCE) and "%s: ..." shapes come after the specific ones
 * of the same text, which the tables guarantee by listing the specific entry first and by
 * placing memory-failure.c (which owns "Memory failure on page") before mce/core.c here.
 */
export const EVENT_TABLES: readonly EventPatternTable[] = [
  hwpoisonInjectTable,
  madviseTable,
  memoryFailureTable,
  x86FaultTable,
  mceCoreTable,
  memoryHotplugTable,
  memoryBlockTable,
  x86MmInitTable,
  zonelistsTable,
  acpiMemoryHotplugTable,
  rasCecTable,
  mmDebugTable,
  panicTable,
  dropCachesTable,
];
