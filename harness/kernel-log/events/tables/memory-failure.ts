import type { EventPattern, EventPatternTable, KernelSeries } from '../event-pattern.ts';
import { decimal, mfResult } from '../field-values.ts';
import type { MemoryFailureNoteEvent, SoftOfflineEvent, UnpoisonEvent } from '../kernel-event.ts';
import { normalisePfn } from '../pfn.ts';

/**
 * action_page_types[] of mm/memory-failure.c as built into the Debian kernels (the order
 * of enum mf_action_page_type). 6.12 dropped the slab and compound-race types and added
 * "get hwpoison page" (get_hwpoison_page() failed) and "already poisoned page".
 */
export const ACTION_PAGE_TYPES: Readonly<Record<KernelSeries, readonly string[]>> = {
  '6.1': [
    'reserved kernel page',
    'high-order kernel page',
    'kernel slab page',
    'different compound page after locking',
    'huge page',
    'free huge page',
    'unmapping failed page',
    'dirty swapcache page',
    'clean swapcache page',
    'dirty mlocked LRU page',
    'clean mlocked LRU page',
    'dirty unevictable LRU page',
    'clean unevictable LRU page',
    'dirty LRU page',
    'clean LRU page',
    'already truncated LRU page',
    'free buddy page',
    'dax page',
    'unsplit thp',
    'unknown page',
  ],
  '6.12': [
    'reserved kernel page',
    'high-order kernel page',
    'huge page',
    'free huge page',
    'get hwpoison page',
    'unmapping failed page',
    'dirty swapcache page',
    'clean swapcache page',
    'dirty mlocked LRU page',
    'clean mlocked LRU page',
    'dirty unevictable LRU page',
    'clean unevictable LRU page',
    'dirty LRU page',
    'clean LRU page',
    'already truncated LRU page',
    'free buddy page',
    'dax page',
    'unsplit thp',
    'already poisoned page',
    'unknown page',
  ],
};

const BOTH = ['6.1', '6.12'] as const;
const ONLY_6_1 = ['6.1'] as const;
const ONLY_6_12 = ['6.12'] as const;

function note(format: string, seenIn: readonly KernelSeries[], kind: MemoryFailureNoteEvent['note'], fields: readonly string[] = ['pfn']): EventPattern {
  return {
    format,
    seenIn,
    fields,
    build: (f) => {
      const event: MemoryFailureNoteEvent = { type: 'memory-failure-note', note: kind };
      if (f['pfn'] !== undefined) event.pfn = normalisePfn(f['pfn']);
      const code = decimal(f['code']);
      if (code !== null) event.code = code;
      return event;
    },
  };
}

function unpoison(format: string, seenIn: readonly KernelSeries[], outcome: UnpoisonEvent['outcome']): EventPattern {
  return { format, seenIn, fields: ['pfn'], build: (f) => ({ type: 'unpoison', pfn: normalisePfn(f['pfn'] ?? ''), outcome }) };
}

function softOfflineFailure(format: string, seenIn: readonly KernelSeries[], outcome: SoftOfflineEvent['outcome'], fields: readonly string[]): EventPattern {
  return {
    format,
    seenIn,
    fields,
    build: (f) => {
      const event: SoftOfflineEvent = { type: 'soft-offline', pfn: normalisePfn(f['pfn'] ?? ''), outcome };
      if (f['pageKind'] !== undefined) event.pageKind = f['pageKind'];
      const count = decimal(f['pageCount']);
      if (count !== null) event.pageCount = count;
      const error = decimal(f['error']);
      if (error !== null) event.error = error;
      if (f['pageFlags'] !== undefined) event.pageFlags = f['pageFlags'];
      return event;
    },
  };
}

function alreadyPoisoned(format: string, seenIn: readonly KernelSeries[], operation: 'memory-failure' | 'soft-offline', fields: readonly string[] = ['pfn']): EventPattern {
  return {
    format,
    seenIn,
    fields,
    build: (f) => {
      const result = mfResult(f['result']);
      return result === null
        ? { type: 'already-poisoned', pfn: normalisePfn(f['pfn'] ?? ''), operation }
        : { type: 'already-poisoned', pfn: normalisePfn(f['pfn'] ?? ''), operation, result };
    },
  };
}

// pr_fmt is "Memory failure: " for most of the file; the soft-offline and unpoison
// messages carry their own prefixes (and 6.12 switched pr_fmt to "Soft offline: " there).
export const memoryFailureTable: EventPatternTable = {
  source: 'mm/memory-failure.c',
  patterns: [
    // The specific "already poisoned" verdict must win over the generic one below.
    alreadyPoisoned('Memory failure: %#lx: recovery action for already poisoned page: %s', ONLY_6_12, 'memory-failure', ['pfn', 'result']),
    {
      format: 'Memory failure: %#lx: recovery action for %s: %s',
      seenIn: BOTH,
      fields: ['pfn', 'pageType', 'result'],
      build: (f) => {
        const result = mfResult(f['result']);
        if (result === null) return null;
        return { type: 'memory-failure', pfn: normalisePfn(f['pfn'] ?? ''), pageType: f['pageType'] ?? '', result };
      },
    },
    alreadyPoisoned('Memory failure: %#lx: already hardware poisoned', ONLY_6_1, 'memory-failure'),
    { format: 'Memory failure: %#lx: unhandlable page.', seenIn: BOTH, fields: ['pfn'], build: (f) => ({ type: 'unhandlable-page', pfn: normalisePfn(f['pfn'] ?? '') }) },
    { format: 'Memory failure: %#lx: Unknown page state', seenIn: BOTH, fields: ['pfn'], build: (f) => ({ type: 'unknown-page-state', pfn: normalisePfn(f['pfn'] ?? '') }) },
    { format: 'Memory failure: %#lx: memory outside kernel control', seenIn: BOTH, fields: ['pfn'], build: (f) => ({ type: 'memory-outside-kernel', pfn: normalisePfn(f['pfn'] ?? '') }) },
    {
      format: 'Memory failure: %#lx: %s still referenced by %d users',
      seenIn: BOTH,
      fields: ['pfn', 'pageType', 'users'],
      build: (f) => ({ type: 'page-still-referenced', pfn: normalisePfn(f['pfn'] ?? ''), pageType: f['pageType'] ?? '', users: decimal(f['users']) ?? 0 }),
    },
    { format: 'Memory failure: %#lx: failed to unmap page (mapcount=%d)', seenIn: ONLY_6_1, fields: ['pfn', 'mapcount'], build: (f) => ({ type: 'unmap-failed', pfn: normalisePfn(f['pfn'] ?? ''), mapcount: decimal(f['mapcount']) ?? 0 }) },
    { format: 'Memory failure: %#lx: failed to unmap page (folio mapcount=%d)', seenIn: ONLY_6_12, fields: ['pfn', 'mapcount'], build: (f) => ({ type: 'unmap-failed', pfn: normalisePfn(f['pfn'] ?? ''), mapcount: decimal(f['mapcount']) ?? 0 }) },
    {
      format: 'Memory failure: %#lx: Sending SIGBUS to %s:%d due to hardware memory corruption',
      seenIn: BOTH,
      fields: ['pfn', 'comm', 'pid'],
      build: (f) => ({ type: 'sigbus-sent', pfn: normalisePfn(f['pfn'] ?? ''), comm: f['comm'] ?? '', pid: decimal(f['pid']) ?? -1 }),
    },
    {
      format: 'Memory failure: %#lx: forcibly killing %s:%d because of failure to unmap corrupted page',
      seenIn: BOTH,
      fields: ['pfn', 'comm', 'pid'],
      build: (f) => ({ type: 'process-force-killed', pfn: normalisePfn(f['pfn'] ?? ''), comm: f['comm'] ?? '', pid: decimal(f['pid']) ?? -1 }),
    },
    {
      format: 'Memory failure: %#lx: Cannot send advisory machine check signal to %s:%d',
      seenIn: BOTH,
      fields: ['pfn', 'comm', 'pid'],
      build: (f) => ({ type: 'signal-failed', problem: 'advisory', pfn: normalisePfn(f['pfn'] ?? ''), comm: f['comm'] ?? '', pid: decimal(f['pid']) ?? -1 }),
    },
    {
      format: 'Memory failure: Error sending signal to %s:%d: %d',
      seenIn: BOTH,
      fields: ['comm', 'pid', 'errno'],
      build: (f) => ({ type: 'signal-failed', problem: 'error', comm: f['comm'] ?? '', pid: decimal(f['pid']) ?? -1, errno: decimal(f['errno']) ?? 0 }),
    },
    {
      format: 'Memory failure: Unable to find user space address %lx in %s',
      seenIn: BOTH,
      fields: ['pfn', 'comm'],
      // The kernel passes page_to_pfn() for this %lx, not an address.
      build: (f) => ({ type: 'signal-failed', problem: 'address-not-found', pfn: normalisePfn(f['pfn'] ?? ''), comm: f['comm'] ?? '' }),
    },
    note('Memory failure: %#lx: corrupted page was clean: dropped without side effects', BOTH, 'clean-page-dropped'),
    note('Memory failure: %#lx: keeping poisoned page in swap cache', BOTH, 'kept-in-swap-cache'),
    note('Memory failure: %#lx: Failed to invalidate', BOTH, 'invalidate-failed'),
    note('Memory failure: %#lx: Failed to punch page: %d', BOTH, 'punch-hole-failed', ['pfn', 'code']),
    note('Memory failure: %#lx: failed to release buffers', BOTH, 'release-buffers-failed'),
    note('Memory failure: %#lx: could not lock mapping for mapped huge page', ONLY_6_1, 'huge-mapping-lock-failed'),
    note('Memory failure: %#lx: could not lock mapping for mapped hugetlb folio', ONLY_6_12, 'huge-mapping-lock-failed'),
    note('Memory failure: %#lx cannot catch tail', BOTH, 'tail-page-race'),
    note("Memory failure: %#lx: can't handle KSM pages.", ONLY_6_1, 'ksm-page'),
    note('Memory failure: Out of memory while machine check handling', BOTH, 'out-of-memory', []),
    note('Memory failure: buffer overflow when queuing memory failure at %#lx', BOTH, 'queue-overflow'),
    note('Memory failure: mf_result=%d is not properly handled', ONLY_6_12, 'unhandled-result', ['code']),
    {
      // panic() with vm.memory_failure_recovery=0; kernel/panic.c adds the prefix.
      format: 'Kernel panic - not syncing: Memory failure on page %lx',
      seenIn: BOTH,
      fields: ['pfn'],
      build: (f) => ({ type: 'memory-failure-panic', pfn: normalisePfn(f['pfn'] ?? '') }),
    },

    // Soft offline: "soft offline:" / "soft_offline:" / "%s:" on 6.1, "Soft offline:" on 6.12.
    alreadyPoisoned('Soft offline: %#lx: page already poisoned', ONLY_6_12, 'soft-offline'),
    alreadyPoisoned('soft offline: %#lx page already poisoned', ONLY_6_1, 'soft-offline'),
    alreadyPoisoned('%s: %#lx page already poisoned', ONLY_6_1, 'soft-offline', ['func', 'pfn']),
    softOfflineFailure('Soft offline: %#lx: %s isolation failed, page count %d, type %pGp', ONLY_6_12, 'isolation-failed', ['pfn', 'pageKind', 'pageCount', 'pageFlags']),
    softOfflineFailure('soft offline: %#lx: %s isolation failed, page count %d, type %pGp', ONLY_6_1, 'isolation-failed', ['pfn', 'pageKind', 'pageCount', 'pageFlags']),
    softOfflineFailure('Soft offline: %#lx: %s migration failed %ld, type %pGp', ONLY_6_12, 'migration-failed', ['pfn', 'pageKind', 'error', 'pageFlags']),
    softOfflineFailure('soft offline: %#lx: %s migration failed %ld, type %pGp', ONLY_6_1, 'migration-failed', ['pfn', 'pageKind', 'error', 'pageFlags']),
    softOfflineFailure('Soft offline: %#lx: thp split failed', ONLY_6_12, 'thp-split-failed', ['pfn']),
    softOfflineFailure('soft offline: %#lx: thp split failed', ONLY_6_1, 'thp-split-failed', ['pfn']),
    softOfflineFailure('Soft offline: %#lx: invalidated', ONLY_6_12, 'invalidated', ['pfn']),
    softOfflineFailure('soft_offline: %#lx: invalidated', ONLY_6_1, 'invalidated', ['pfn']),
    { format: 'Soft offline: disabled by /proc/sys/vm/enable_soft_offline', seenIn: ONLY_6_12, fields: [], build: () => ({ type: 'soft-offline-disabled' }) },

    // Unpoison: 6.1 puts the pfn last, 6.12 right after the prefix.
    unpoison('Unpoison: Software-unpoisoned page %#lx', ONLY_6_1, 'unpoisoned'),
    unpoison('Unpoison: %#lx: software-unpoisoned page', ONLY_6_12, 'unpoisoned'),
    unpoison('Unpoison: Page was already unpoisoned %#lx', ONLY_6_1, 'already-unpoisoned'),
    unpoison('Unpoison: %#lx: page was already unpoisoned', ONLY_6_12, 'already-unpoisoned'),
    unpoison('Unpoison: Disabled after HW memory failure %#lx', ONLY_6_1, 'disabled-after-hw-failure'),
    unpoison('Unpoison: %#lx: disabled after HW memory failure', ONLY_6_12, 'disabled-after-hw-failure'),
    unpoison('Unpoison: huge zero page is not supported %#lx', ONLY_6_1, 'huge-zero-page'),
    unpoison('Unpoison: %#lx: huge zero page is not supported', ONLY_6_12, 'huge-zero-page'),
    unpoison('Unpoison: the hwpoison page has non-NULL mapping %#lx', ONLY_6_1, 'has-mapping'),
    unpoison('Unpoison: %#lx: the hwpoison page has non-NULL mapping', ONLY_6_12, 'has-mapping'),
    unpoison('Unpoison: Someone grabs the hwpoison page %#lx', ONLY_6_1, 'grabbed-by-someone'),
    unpoison('Unpoison: %#lx: someone grabs the hwpoison page', ONLY_6_12, 'grabbed-by-someone'),
    unpoison('Unpoison: Someone maps the hwpoison page %#lx', ONLY_6_1, 'mapped-by-someone'),
    unpoison('Unpoison: %#lx: someone maps the hwpoison page', ONLY_6_12, 'mapped-by-someone'),
    unpoison('Unpoison: failed to grab page %#lx', ONLY_6_1, 'grab-failed'),
    unpoison('Unpoison: %#lx: failed to grab page', ONLY_6_12, 'grab-failed'),
  ],
};
