import { describe, expect, it } from 'vitest';
import { fact, FIXTURE_KERNELS, loadFixture, type Fixture, type FixtureKernel } from '../fixtures/load-fixture.ts';
import type { LogRecord } from '../records/log-record.ts';
import type { KernelEvent } from './kernel-event.ts';
import { eventsOfType, kernelEvents } from './parse-event.ts';

/**
 * The events of every recorded scenario, with the values the recording chose or observed
 * (meta.json facts: the pfn written to debugfs, the pid of the process...). Crash
 * scenarios are read from the console: kmsg died with the guest.
 */
function eventsOf(records: readonly LogRecord[]): KernelEvent[] {
  return kernelEvents(records).map((found) => found.event);
}

const is61 = (kernel: FixtureKernel) => kernel.startsWith('6.1.');
const pid = (fixture: Fixture, name = 'pid') => Number(fact(fixture, name));

describe.each(FIXTURE_KERNELS)('events recorded on %s', (kernel) => {
  const load = (scenario: string) => loadFixture(kernel, scenario);

  it('hwpoison of a free page: injected, then "free buddy page: Recovered"', () => {
    const f = load('hwpoison-free-page');
    expect(eventsOf(f.kmsg)).toEqual([
      { type: 'hwpoison-injected', via: 'debugfs', pfn: fact(f, 'pfn') },
      { type: 'memory-failure', pfn: fact(f, 'pfn'), pageType: 'free buddy page', result: 'Recovered' },
    ]);
  });

  it('hwpoison of the same page again: already poisoned, in this kernel\'s wording', () => {
    const f = load('hwpoison-already-poisoned');
    const already = is61(kernel)
      ? { type: 'already-poisoned', pfn: fact(f, 'pfn'), operation: 'memory-failure' }
      : { type: 'already-poisoned', pfn: fact(f, 'pfn'), operation: 'memory-failure', result: 'Failed' };
    expect(eventsOf(f.kmsg)).toEqual([{ type: 'hwpoison-injected', via: 'debugfs', pfn: fact(f, 'pfn') }, already]);
    expect(f.kmsg.at(-2)?.text).toBe(is61(kernel) ? `Memory failure: ${fact(f, 'pfn')}: already hardware poisoned` : `Memory failure: ${fact(f, 'pfn')}: recovery action for already poisoned page: Failed`);
  });

  it.each([
    ['unpoison-free-page', 'unpoisoned'],
    ['unpoison-not-poisoned', 'already-unpoisoned'],
    ['unpoison-process-page', 'unpoisoned'],
    ['unpoison-after-mce', 'disabled-after-hw-failure'],
  ] as const)('%s: unpoison %s', (scenario, outcome) => {
    const f = load(scenario);
    expect(eventsOf(f.kmsg)).toEqual([{ type: 'unpoison', pfn: fact(f, 'pfn'), outcome }]);
  });

  it('hwpoison under a sleeping process: dirty LRU page recovered, nobody signalled (late kill)', () => {
    const f = load('hwpoison-sleeping-process');
    expect(eventsOf(f.kmsg)).toEqual([
      { type: 'hwpoison-injected', via: 'debugfs', pfn: fact(f, 'pfn') },
      { type: 'memory-failure', pfn: fact(f, 'pfn'), pageType: 'dirty LRU page', result: 'Recovered' },
    ]);
  });

  it('early kill: SIGBUS is sent to the owner at injection time', () => {
    const f = load('hwpoison-early-kill');
    expect(eventsOf(f.kmsg)).toEqual([
      { type: 'hwpoison-injected', via: 'debugfs', pfn: fact(f, 'pfn') },
      { type: 'sigbus-sent', pfn: fact(f, 'pfn'), comm: 'sleep', pid: pid(f) },
      { type: 'memory-failure', pfn: fact(f, 'pfn'), pageType: 'dirty LRU page', result: 'Recovered' },
    ]);
  });

  it('late kill: the process is killed when it touches the page, at its virtual address', () => {
    const f = load('hwpoison-late-kill');
    expect(eventsOf(f.kmsg)).toEqual([
      { type: 'hwpoison-injected', via: 'debugfs', pfn: fact(f, 'pfn') },
      { type: 'memory-failure', pfn: fact(f, 'pfn'), pageType: 'dirty LRU page', result: 'Recovered' },
      { type: 'mce-kill', comm: 'mh-log-probe', pid: pid(f), addr: fact(f, 'vaddr') },
    ]);
  });

  it.each(['hwpoison-slab-page', 'hwpoison-reserved-page'])('%s: unhandlable, then Ignored', (scenario) => {
    const f = load(scenario);
    expect(eventsOf(f.kmsg)).toEqual([
      { type: 'hwpoison-injected', via: 'debugfs', pfn: fact(f, 'pfn') },
      { type: 'unhandlable-page', pfn: fact(f, 'pfn') },
      // 6.12 names the failed get_hwpoison_page(); 6.1 calls it an unknown page.
      { type: 'memory-failure', pfn: fact(f, 'pfn'), pageType: is61(kernel) ? 'unknown page' : 'get hwpoison page', result: 'Ignored' },
    ]);
  });

  it('soft offline: silent for a free page and a migrated page, "already poisoned" the second time', () => {
    expect(eventsOf(load('soft-offline-free-page').kmsg)).toEqual([]);
    const f = load('soft-offline-process-page');
    expect(eventsOf(f.kmsg)).toEqual([{ type: 'already-poisoned', pfn: fact(f, 'pfn'), operation: 'soft-offline' }]);
    expect(fact(f, 'pfnAfter')).not.toBe(fact(f, 'pfn'));
    const slab = load('soft-offline-slab-page');
    expect(eventsOf(slab.kmsg)).toEqual([{ type: 'unhandlable-page', pfn: fact(slab, 'pfn') }]);
  });

  it('madvise(MADV_HWPOISON): 6.12 signals during madvise, 6.1 kills on the next access', () => {
    const f = load('madvise-hwpoison');
    const pfn = fact(f, 'pfn');
    const injected = { type: 'hwpoison-injected', via: 'madvise', pfn, vaddr: fact(f, 'vaddr') };
    const failure = { type: 'memory-failure', pfn, pageType: 'dirty LRU page', result: 'Recovered' };
    expect(eventsOf(f.kmsg)).toEqual(
      is61(kernel)
        ? [injected, failure, { type: 'mce-kill', comm: 'mh-log-probe', pid: pid(f), addr: fact(f, 'vaddr') }]
        : [injected, { type: 'sigbus-sent', pfn, comm: 'mh-log-probe', pid: pid(f) }, failure],
    );
  });

  it('madvise(MADV_SOFT_OFFLINE) names the pfn and the address', () => {
    const f = load('madvise-soft-offline');
    expect(eventsOf(f.kmsg)).toEqual([{ type: 'soft-offline-requested', pfn: fact(f, 'pfn'), vaddr: fact(f, 'vaddr') }]);
  });

  it('drop_caches names the writer', () => {
    expect(eventsOf(load('drop-caches').kmsg)).toEqual([{ type: 'drop-caches', comm: 'sh', pid: expect.any(Number), mode: 1 }]);
  });

  it('memory offline failure: the range and reason (a pr_debug line: kmsg only, not on the console)', () => {
    const f = load('memory-offline-failure');
    const [failure] = eventsOfType(f.kmsg, 'memory-offline-failed');
    expect(failure?.event).toEqual({
      type: 'memory-offline-failed',
      start: fact(f, 'blockStart'),
      end: fact(f, 'blockEnd'),
      // 6.1 handed the pinned page out of the last block, which has a hole; 6.12 an inner one.
      reason: is61(kernel) ? 'memory holes' : 'signal backoff',
    });
    expect(failure?.record.level).toBe(7);
    expect(eventsOfType(f.console, 'memory-offline-failed')).toEqual([]);
    if (!is61(kernel)) {
      const migrations = eventsOfType(f.kmsg, 'page-migration-failed').map((found) => found.event);
      expect(migrations.length).toBeGreaterThan(0);
      expect(new Set(migrations.map((event) => event.pfn))).toEqual(new Set([fact(f, 'pinnedPfn')]));
      expect(eventsOfType(f.kmsg, 'page-dumped').every((found) => found.event.reason === 'migration failure')).toBe(true);
    }
  });

  it('MCE SRAO on a free page: taint, "events logged", recovered', () => {
    const f = load('mce-srao-free-page');
    expect(eventsOf(f.kmsg)).toEqual([
      { type: 'taint-lock-debugging-off' },
      { type: 'mce-logged' },
      { type: 'memory-failure', pfn: fact(f, 'pfn'), pageType: 'free buddy page', result: 'Recovered' },
    ]);
    expect(f.meta.facts['tainted']).toBe('16');
  });

  it('MCE SRAO on a process page: recovered, the process killed on access', () => {
    const f = load('mce-srao-process-page');
    expect(eventsOf(f.kmsg)).toEqual([
      { type: 'mce-logged' },
      { type: 'memory-failure', pfn: fact(f, 'pfn'), pageType: 'dirty LRU page', result: 'Recovered' },
      { type: 'mce-kill', comm: 'mh-log-probe', pid: pid(f), addr: fact(f, 'vaddr') },
    ]);
  });

  it('MCE outside RAM: no struct page, and the record is dumped since nobody handled it', () => {
    const f = load('mce-srao-outside-ram');
    expect(eventsOf(f.kmsg)).toEqual([
      { type: 'memory-outside-kernel', pfn: fact(f, 'pfn') },
      { type: 'mce-record', cpu: 0, exception: true, mcgStatus: '0x5', bank: 9, status: fact(f, 'status') },
      { type: 'mce-rip', inexact: true, cs: '0x10', ip: expect.stringMatching(/^0xffffffff8/), symbol: expect.stringMatching(/safe_halt\+0x/) },
      { type: 'mce-registers', tsc: expect.stringMatching(/^0x/), addr: fact(f, 'physAddr'), misc: '0x8c' },
      { type: 'mce-processor', vendor: 0, cpuid: expect.stringMatching(/^0x/), time: expect.any(Number), socket: 0, apic: '0x0', microcode: '0x1' },
    ]);
  });

  it.each([
    ['mce-fatal', 'In kernel and no restart IP', '0x6'],
    ['mce-srar-idle-kernel', 'Data load in unrecoverable area of kernel', '0x7'],
  ] as const)('%s (console): graded "%s", then the machine-check panic', (scenario, message, mcgStatus) => {
    const f = load(scenario);
    const events = eventsOf(f.console);
    expect(events[0]).toEqual({ type: 'mce-record', cpu: 0, exception: true, mcgStatus, bank: 9, status: '0xbd80000000000134' });
    expect(events.slice(-2)).toEqual([
      { type: 'mce-severity', message, grade: 'PANIC', fake: false },
      { type: 'machine-check-panic', message: 'Fatal machine check' },
    ]);
    expect(eventsOfType(f.console, 'mce-registers')[0]?.event.addr).toBe(fact(f, 'physAddr'));
  });

  it('an MCE delivered to one CPU only: the broadcast timeout panic', () => {
    expect(eventsOf(load('mce-srao-no-broadcast').console)).toEqual([
      { type: 'mce-cpus-not-responding', cpus: '1' },
      { type: 'machine-check-panic', message: 'Timeout: Not all CPUs entered broadcast exception handler' },
    ]);
  });

  it('boot: the memory layout facts, and nothing else is mistaken for an event', () => {
    const f = load('boot');
    expect(eventsOf(f.kmsg)).toEqual([
      { type: 'zonelists-built', zonelists: 1, mobilityGrouping: true, totalPages: expect.any(Number) },
      { type: 'memory-block-size', mib: 128 },
    ]);
    expect(eventsOf(f.console).map((event) => event.type)).toEqual(['zonelists-built', 'memory-block-size']);
  });
});
