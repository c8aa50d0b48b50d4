import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HelperSession } from '../guest-helper/helper-session.ts';
import { startGuestKmsgReader } from '../kernel-log/reader/guest-kmsg-reader.ts';
import type { KmsgReader } from '../kernel-log/reader/kmsg-reader.ts';
import { bootSharedTestGuest, withConsoleOnFailure, type SharedTestGuest } from '../testing/guest-fixture.ts';
import type { InjectionReport } from './injection-report.ts';
import type { InjectionMethod } from './injection.ts';
import { setCorruptFilter } from './debugfs-hwpoison.ts';
import { INJECTORS } from './injectors.ts';
import { srarCmdline } from './machine-check.ts';
import { setMemoryBlockState } from './memory-block.ts';
import { runInjection } from './run-injection.ts';
import { SCRATCH_FS_MODULES } from './scratch-fs.ts';
import { prepareTarget, type TargetKind } from './targets.ts';

// Real injections on real guests of both series. Every expectation here was first observed
// with `npm run survey:inject` on 6.12.117 and 6.1.0-56; where the kernels differ, the test
// says which does what.
describe.each([
  { ref: undefined, series: '6.12' as const },
  { ref: '6.1.0-56', series: '6.1' as const },
])('injections on a real $series guest', ({ ref, series }) => {
  let shared: SharedTestGuest;
  let kmsg: KmsgReader;
  let counter = 0;

  beforeAll(async () => {
    // One guest for every method: SRAR's isolated CPU does not change the other results.
    shared = await bootSharedTestGuest(ref, { cpus: 2, modules: ['hwpoison_inject', ...SCRATCH_FS_MODULES], cmdline: srarCmdline(2) });
    kmsg = await startGuestKmsgReader(shared.guest);
  });
  afterAll(async () => {
    await kmsg?.stop();
    await shared?.dispose();
  });

  async function inject(method: InjectionMethod, kind: TargetKind, options: { earlyKill?: boolean } = {}): Promise<InjectionReport> {
    const { guest } = shared;
    return withConsoleOnFailure(guest, async () => {
      const helper = await HelperSession.start(guest.ssh);
      try {
        if (options.earlyKill) await helper.setMceKill('early');
        const target = await prepareTarget(guest, helper, kind, `t${counter++}`);
        return await runInjection({ guest, helper, kmsg, injector: INJECTORS[method], target, touch: true, accel: 'test' });
      } finally {
        await helper.close().catch(() => undefined);
      }
    });
  }

  const eventOn = (report: InjectionReport, type: string) =>
    report.events.find((event) => event.type === type && (event.fields.pfn === undefined || event.fields.pfn === report.injection.target.pfn));

  it('debugfs on a free page: recovered, HardwareCorrupted +4 kB, buddy → hwpoison; unpoison undoes it', async () => {
    const report = await inject('debugfs', 'free');
    expect(report.injection.result).toEqual({ ok: true });
    expect(eventOn(report, 'hwpoison-injected')).toBeDefined();
    expect(eventOn(report, 'memory-failure')?.fields).toMatchObject({ pageType: 'free buddy page', result: 'Recovered' });
    expect(report.stateDiff?.meminfo.HardwareCorrupted?.delta).toBe(4);
    const page = report.stateDiff?.pages[report.injection.target.pfn];
    expect(page).toMatchObject({ available: true, value: { set: ['hwpoison'], cleared: ['buddy'] } });
    const perNode = report.stateDiff?.memoryFailure.node0;
    if (series === '6.12') expect(perNode).toEqual({ available: true, value: { total: { before: expect.any(Number), after: expect.any(Number), delta: 1 }, recovered: { before: expect.any(Number), after: expect.any(Number), delta: 1 } } });
    else expect(perNode?.available).toBe(false);
    expect(report.crashes).toEqual([]);
    expect(report.taint?.value).toBe(0);

    const pfn = BigInt(report.injection.target.pfn);
    const unpoison = await withConsoleOnFailure(shared.guest, () => INJECTORS['debugfs-unpoison'].inject({ guest: shared.guest }, { kind: 'free', pfn }));
    expect(unpoison.result).toEqual({ ok: true });
    const after = await shared.guest.exec('grep HardwareCorrupted /proc/meminfo');
    expect(after.stdout).toMatch(/HardwareCorrupted:\s+0 kB/);
  });

  it('madvise(MADV_HWPOISON) on anon: SIGBUS inside madvise on 6.12, on the next access on 6.1', async () => {
    const report = await inject('madvise-hwpoison', 'anon');
    const vaddr = report.injection.target.vaddr;
    expect(eventOn(report, 'memory-failure')?.fields).toMatchObject({ pageType: 'dirty LRU page', result: 'Recovered' });
    if (series === '6.12') expect(report.injection.result.sigbus).toMatchObject({ codeName: 'BUS_MCEERR_AR', addr: vaddr, lsb: 12 });
    else expect(report.injection.result.sigbus ?? null).toBeNull();
    expect(report.outcome.access).toMatchObject({ outcome: 'sigbus', sigbus: { codeName: 'BUS_MCEERR_AR', addr: vaddr, lsb: 12 } });
    expect(report.stateDiff?.meminfo.HardwareCorrupted?.delta).toBe(4);
  });

  it('debugfs on a dirty page-cache page of a block-backed file: fsync returns EIO, access SIGBUS', async () => {
    const report = await inject('debugfs', 'pagecache-dirty');
    expect(eventOn(report, 'memory-failure')?.fields).toMatchObject({ pageType: 'dirty LRU page', result: 'Recovered' });
    expect(report.outcome.fsync).toEqual({ ret: -1, errno: 'EIO' });
    expect(report.outcome.access?.sigbus?.codeName).toBe('BUS_MCEERR_AR');
  });

  it('madvise(MADV_SOFT_OFFLINE) on anon: data intact, PFN moved, old frame poisoned', async () => {
    const report = await inject('madvise-soft-offline', 'anon');
    expect(report.injection.result.ok).toBe(true);
    expect(report.outcome).toMatchObject({ dataIntact: true, pfnMoved: true });
    expect(eventOn(report, 'soft-offline-requested')).toBeDefined();
    expect(report.stateDiff?.meminfo.HardwareCorrupted?.delta).toBe(4);
    expect(report.stateDiff?.pages[report.injection.target.pfn]).toMatchObject({ available: true, value: { set: expect.arrayContaining(['hwpoison']) } });
  });

  it('sysfs soft_offline_page on a free page takes it out silently; hard_offline_page on a free huge page recovers it', async () => {
    const soft = await inject('sysfs-soft-offline', 'free');
    expect(soft.injection.result).toEqual({ ok: true });
    expect(soft.events.filter((e) => e.type === 'memory-failure')).toEqual([]);
    expect(soft.stateDiff?.meminfo.HardwareCorrupted?.delta).toBe(4);
    const hard = await inject('sysfs-hard-offline', 'hugetlb-free');
    expect(eventOn(hard, 'memory-failure')?.fields).toMatchObject({ pageType: 'free huge page', result: 'Recovered' });
  });

  it('early kill: the owner of a shared page gets BUS_MCEERR_AO when the page is poisoned', async () => {
    const report = await inject('debugfs', 'anon-shared', { earlyKill: true });
    expect(report.outcome.asyncSignals).toEqual([expect.objectContaining({ codeName: 'BUS_MCEERR_AO', lsb: 12 })]);
  });

  it('a PFN beyond the end of memory is refused with ENXIO; a memory block that cannot go offline says EINVAL', async () => {
    const record = await INJECTORS.debugfs.inject({ guest: shared.guest }, { kind: 'free', pfn: 0xfffffffffn });
    expect(record.result).toMatchObject({ ok: false, errno: 'ENXIO' });
    const change = await setMemoryBlockState(shared.guest, 'memory0', 'offline');
    expect(change.result).toMatchObject({ ok: false, errno: 'EINVAL' });
    expect(change.stateAfter).toBe('online');
  });

  it('corrupt-filter: a flags filter the page does not pass makes corrupt-pfn a no-op until the filter is off', async () => {
    const { guest } = shared;
    const KPF_SLAB = 1n << 7n;
    await setCorruptFilter(guest, { flagsMask: KPF_SLAB, flagsValue: KPF_SLAB, enable: true });
    try {
      const filtered = await inject('debugfs', 'free');
      expect(filtered.injection.result).toEqual({ ok: true });
      expect(filtered.events.filter((e) => e.type === 'hwpoison-injected' || e.type === 'memory-failure')).toEqual([]);
      expect(filtered.stateDiff?.meminfo.HardwareCorrupted).toBeUndefined();
    } finally {
      await setCorruptFilter(guest, { enable: false, flagsMask: 0n, flagsValue: 0n });
    }
    const unfiltered = await inject('debugfs', 'free');
    expect(eventOn(unfiltered, 'memory-failure')?.fields).toMatchObject({ result: 'Recovered' });
  });

  it('QEMU machine checks: SRAO on an in-use page and SRAR while the owner reads it; taint M', async () => {
    const srao = await inject('mce-srao', 'anon');
    expect(eventOn(srao, 'memory-failure')?.fields).toMatchObject({ pageType: 'dirty LRU page', result: 'Recovered' });
    expect(srao.outcome.access?.sigbus?.codeName).toBe('BUS_MCEERR_AR');
    const srar = await inject('mce-srar', 'anon');
    expect(eventOn(srar, 'memory-failure')?.fields).toMatchObject({ result: 'Recovered' });
    expect(srar.injection.result.sigbus).toMatchObject({ codeName: 'BUS_MCEERR_AR', addr: srar.injection.target.vaddr });
    expect(srar.crashes).toEqual([]);
    expect(srar.taint?.letters).toContain('M');
    expect(shared.guest.fitForSnapshot).toBe(false);
  });
});
