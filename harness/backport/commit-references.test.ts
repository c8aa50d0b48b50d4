import { describe, expect, it } from 'vitest';
import { loadSuites } from '../suite/index.ts';
import { projectRoot } from '../util/paths.ts';
import { caseCommitReferences, parseCommitReference } from './commit-references.ts';

describe('parseCommitReference', () => {
  it('takes commit titles as the suites write them', () => {
    expect(parseCommitReference('mm: memory-failure: add memory failure stats to sysfs')).toEqual({ reference: 'mm: memory-failure: add memory failure stats to sysfs', kind: 'title', title: 'mm: memory-failure: add memory failure stats to sysfs', upstream: null });
    expect(parseCommitReference('fs/proc: fix KPF_KSM reported for all anonymous pages')?.title).toBe('fs/proc: fix KPF_KSM reported for all anonymous pages');
    expect(parseCommitReference('hwpoison, memory_hotplug: lock folio before unmap hwpoisoned folio')?.kind).toBe('title');
  });

  it('reads the release an annotation names and drops it from the title', () => {
    expect(parseCommitReference('mm/hwpoison: introduce per-memory_block hwpoison counter (upstream 6.2)')).toMatchObject({ title: 'mm/hwpoison: introduce per-memory_block hwpoison counter', upstream: '6.2' });
  });

  it('drops a note of the Debian upload it was seen in', () => {
    expect(parseCommitReference('mm: move most of core MM initialization to mm/mm_init.c (Debian 6.1.187-1)')).toMatchObject({ title: 'mm: move most of core MM initialization to mm/mm_init.c', upstream: null });
    expect(parseCommitReference('mm: Be less noisy during memory hotplug (upstream v6.4)')).toMatchObject({ title: 'mm: Be less noisy during memory hotplug', upstream: '6.4' });
  });

  it('takes commit ids as ids', () => {
    expect(parseCommitReference('commit 44b8f8bf2438')).toMatchObject({ kind: 'id', title: '44b8f8bf2438' });
    expect(parseCommitReference('44b8f8bf24380b2d5a0d1e7d12d01d1e7c9a9b31 mm: memory-failure: stats')).toMatchObject({ kind: 'id' });
  });

  it('leaves pointers into the code alone', () => {
    expect(parseCommitReference('mm/memory-failure.c memory_failure()')).toBeNull();
    expect(parseCommitReference('mm/memory_hotplug.c add_memory() online_pages(); drivers/acpi/scan.c acpi_scan_hot_remove()')).toBeNull();
    expect(parseCommitReference('fs/proc/task_mmu.c pte_to_pagemap_entry(): pfn_swap_entry_to_page() on a hwpoison entry')).toBeNull();
    expect(parseCommitReference('kernel/sys.c PR_MCE_KILL; mm/memory-failure.c task_early_kill()')).toBeNull();
  });
});

describe('caseCommitReferences', () => {
  it('keeps what either citation of one commit says', async () => {
    const loaded = await loadSuites([`${projectRoot}/suites/memory-blocks.yaml`]);
    const testCase = loaded.suites[0]!.cases.find((entry) => entry.id === 'offline-poisoned-sysfs-hard-offline')!;
    expect(caseCommitReferences(testCase)).toContainEqual(expect.objectContaining({ title: 'mm/hwpoison: introduce per-memory_block hwpoison counter', upstream: '6.2' }));
  });

  it("cites the commit behind a feature that decides which items apply, with the feature's first release", async () => {
    const loaded = await loadSuites([`${projectRoot}/suites/numa.yaml`]);
    const testCase = loaded.suites[0]!.cases.find((entry) => entry.id === 'memory-failure-stats-node0')!;
    expect(caseCommitReferences(testCase)).toContainEqual(expect.objectContaining({ title: 'mm: memory-failure: add memory failure stats to sysfs', upstream: '6.3' }));
  });
});
