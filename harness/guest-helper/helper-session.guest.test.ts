import { describe, expect, it } from 'vitest';
import { writeGuestFile } from '../inject/guest-write.ts';
import { leftoverQemuGroups, withTestGuest } from '../testing/guest-fixture.ts';
import type { Guest } from '../vm/guest.ts';
import { asyncEventSchema, replySchema, spinReplySchema, targetReplySchema, type HelperEvent, type HelperTarget, type SigbusInfo, type TargetPage } from './helper-messages.ts';
import { HelperError, HelperSession } from './helper-session.ts';

// The guest helper against real kernels, one boot per kernel with every check inside it.
// What differs between the series is asserted per series: 6.12 raises SIGBUS inside
// madvise(MADV_HWPOISON), 6.1 only on the next access. Pages that were poisoned are never
// reused by a later check, so the checks do not depend on each other's leftovers.

/** brd + ext4 (+ the crc32c it needs at mount time, which modules.dep does not list) give a
 *  block-backed page cache with real writeback; tmpfs is the contrast. */
const MODULES = ['hwpoison_inject', 'brd', 'ext4', 'crc32c_generic'];
const EXT4 = '/mnt/helper-ext4';
const SEED = 42;

interface Observation {
  kind: string;
  action: string;
  result: string;
}

function sigbusText(sigbus: SigbusInfo | null | undefined): string {
  return sigbus ? `SIGBUS ${sigbus.codeName} lsb ${sigbus.lsb}` : 'no SIGBUS';
}

async function shell(guest: Guest, command: string): Promise<string> {
  const result = await guest.exec(command, { timeoutMs: 120_000 });
  if (result.exitCode !== 0) throw new Error(`\`${command}\` failed (exit ${result.exitCode}): ${result.stderr.trim()}`);
  return result.stdout;
}

/** A target page with the members the helper adds beyond targetPageSchema (which strips them). */
type RawPage = TargetPage & { present: boolean; swapped?: boolean; swapOffset?: string; huge?: boolean };
type RawTarget = Omit<HelperTarget, 'pages'> & { pages: RawPage[] };

/** `pages` without the schema's stripping, after checking it still satisfies the schema. */
async function rawPages(helper: HelperSession, name: string): Promise<RawTarget> {
  const reply = await helper.requestOk(replySchema, ['pages', name]);
  targetReplySchema.parse(reply);
  return reply.target as RawTarget;
}

function pageOf<T extends HelperTarget | RawTarget>(target: T, index: number): T['pages'][number] {
  const page = target.pages[index];
  if (!page) throw new Error(`target ${target.name} has no page ${index}`);
  return page;
}

async function waitForEvent(helper: HelperSession, match: (event: HelperEvent) => boolean, timeoutMs: number): Promise<HelperEvent | null> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const found = helper.events().find(match);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return helper.events().find(match) ?? null;
}

describe.each([
  { ref: undefined, series: '6.12' },
  { ref: '6.1.0-56', series: '6.1' },
])('memharness-helper in a real $series guest', ({ ref, series }) => {
  it('owns every kind of page, injects into them and reports what the kernel did', async () => {
    const observations: Observation[] = [];
    const note = (kind: string, action: string, result: string) => observations.push({ kind, action, result });

    // Two vCPUs: the spin checks pin to CPU 1.
    await withTestGuest(ref, { cpus: 2, modules: MODULES }, async ({ guest }) => {
      // Periodic writeback would quietly clean the file-dirty pages before they are poisoned.
      await shell(guest, 'echo 0 > /proc/sys/vm/dirty_writeback_centisecs; echo 0 > /proc/sys/vm/nr_hugepages');
      await shell(
        guest,
        `[ -b /dev/ram0 ] && mke2fs -q /dev/ram0 >/dev/null && mkdir -p ${EXT4} && mount -t ext4 /dev/ram0 ${EXT4} && grep -q ' ${EXT4} ext4 ' /proc/mounts`,
      );

      const helper = await HelperSession.start(guest.ssh);
      expect(helper.pid).toBeGreaterThan(1);

      // --- one-shot mode and input validation -------------------------------------------
      const version = await guest.exec('memharness-helper version');
      expect(version.exitCode).toBe(0);
      expect(JSON.parse(version.stdout)).toMatchObject({ id: 0, ok: true, event: 'version', protocol: 2 });
      expect((await guest.exec('memharness-helper alloc x')).exitCode).toBe(2);
      expect((await guest.exec('memharness-helper no-such-verb')).exitCode).toBe(2);
      const oneShotMissing = await guest.exec('memharness-helper verify nothing 1');
      expect(oneShotMissing.exitCode).toBe(1);
      expect(JSON.parse(oneShotMissing.stdout)).toMatchObject({ id: 0, ok: false });

      for (const words of [
        ['alloc', 'bad', 'no-such-kind', 1],
        ['alloc', 'bad', 'anon', 0],
        ['alloc', 'bad/name', 'anon', 1],
        ['alloc', 'bad', 'file-dirty', 1],
        ['alloc', 'bad', 'anon', 1, '/tmp/x'],
        ['fill', 'missing', 1],
        ['no-such-verb'],
        ['kpageflags', 'zz'],
        ['mce-kill', 'sometimes'],
      ]) {
        const reply = await helper.request(replySchema, words);
        expect(reply, words.join(' ')).toMatchObject({ ok: false });
        expect(reply.error, words.join(' ')).toBeTruthy();
      }
      const badMadvise = await helper.madvise('missing', 0, 'hwpoison');
      expect(badMadvise).toMatchObject({ ok: false, ret: -1 });

      // --- hugetlb without a pool: a clear ENOMEM naming the knob ------------------------
      const noPool = await helper.request(replySchema, ['alloc', 'h0', 'hugetlb', 1]);
      expect(noPool).toMatchObject({ ok: false, errno: 12, errnoName: 'ENOMEM' });
      expect(noPool.error).toContain('/proc/sys/vm/nr_hugepages');
      await shell(guest, 'echo 4 > /proc/sys/vm/nr_hugepages');

      // --- alloc every kind; fill + verify intact ----------------------------------------
      const kinds = [
        { name: 'anon', kind: 'anon', count: 4 },
        { name: 'soft', kind: 'anon', count: 2 },
        { name: 'shared', kind: 'anon-shared', count: 2 },
        { name: 'shmem', kind: 'shmem', count: 2 },
        { name: 'mlocked', kind: 'mlocked', count: 2 },
        { name: 'hugetlb', kind: 'hugetlb', count: 1 },
        { name: 'thp', kind: 'thp', count: 1 },
        { name: 'tmpclean', kind: 'file-clean', count: 2, path: '/tmp/helper-clean' },
        { name: 'tmpdirty', kind: 'file-dirty', count: 2, path: '/tmp/helper-dirty' },
        { name: 'extclean', kind: 'file-clean', count: 2, path: `${EXT4}/clean` },
        { name: 'extdirty', kind: 'file-dirty', count: 2, path: `${EXT4}/dirty` },
      ] as const;
      const targets = new Map<string, RawTarget>();
      for (const spec of kinds) {
        const target = await helper.alloc(spec.name, spec.kind, spec.count, 'path' in spec ? spec.path : undefined);
        const unit = spec.kind === 'hugetlb' || spec.kind === 'thp' ? 2 << 20 : 4096;
        expect(target).toMatchObject({ name: spec.name, kind: spec.kind, pageSize: unit, length: unit * spec.count });
        expect(target.pages).toHaveLength(spec.count);
        for (const page of target.pages) {
          expect(page.pfn, `${spec.name} page ${page.index}`).toMatch(/^0x[0-9a-f]+$/);
          expect(page.names).not.toContain('hwpoison');
        }
        // alloc leaves the seed-0 pattern; fill replaces it (file-clean: through the file).
        expect(await helper.verify(spec.name, 0)).toMatchObject({ ok: true, intact: true, firstMismatch: null, sigbus: null });
        await helper.fill(spec.name, SEED);
        expect(await helper.verify(spec.name, SEED)).toMatchObject({ ok: true, intact: true, firstMismatch: null, sigbus: null });
        const mismatch = await helper.verify(spec.name, SEED + 1);
        expect(mismatch).toMatchObject({ intact: false, sigbus: null });
        expect(mismatch.firstMismatch).toBeTypeOf('number');
        const after = await rawPages(helper, spec.name);
        targets.set(spec.name, after);
        if (spec.name !== 'soft') {
          const where = 'path' in spec ? (spec.path.startsWith('/tmp') ? ' (tmpfs)' : ' (ext4)') : '';
          note(`${spec.kind}${where}`, 'alloc+fill', `flags ${pageOf(after, 0).names.join(',')}`);
        }
      }
      const target = (name: string) => targets.get(name)!;

      expect(pageOf(target('mlocked'), 0).names).toContain('mlocked');
      expect(pageOf(target('hugetlb'), 0).names).toEqual(expect.arrayContaining(['huge', 'compound_head']));
      expect(pageOf(target('thp'), 0)).toMatchObject({ huge: true });
      expect(pageOf(target('thp'), 0).names).toContain('thp');
      // Block-backed page cache: clean stays clean after fill, dirty is dirty. tmpfs pages
      // are always dirty (no backing store to be clean against).
      expect(pageOf(target('extclean'), 0).names).not.toContain('dirty');
      expect(pageOf(target('extdirty'), 0).names).toContain('dirty');
      expect(pageOf(target('tmpclean'), 0).names).toContain('dirty');

      // --- free pages, free hugetlb pages, kpageflags -------------------------------------
      const free = await helper.freePages(8);
      expect(new Set(free).size).toBe(8);
      for (const pfn of free) expect(pfn).toBeGreaterThanOrEqual(0x10000n);
      const flags = await helper.request(replySchema, ['kpageflags', ...free.map((pfn) => `0x${pfn.toString(16)}`)]);
      expect(flags.ok).toBe(true);
      for (const page of flags.pages as { names: string[] }[]) expect(page.names).toContain('buddy');
      const above = await helper.freePages(2, 0x20000n);
      for (const pfn of above) expect(pfn).toBeGreaterThanOrEqual(0x20000n);
      const freeHuge = await helper.freeHugepages(3);
      expect(new Set(freeHuge).size).toBe(3);
      expect(freeHuge).not.toContain(BigInt(pageOf(target('hugetlb'), 0).pfn!));
      await expect(helper.freeHugepages(4)).rejects.toThrow(HelperError);
      const past = await helper.request(replySchema, ['kpageflags', '0xfffffffff']);
      expect(past).toMatchObject({ ok: false, errnoName: 'ENXIO' });

      // --- MADV_HWPOISON on the kinds whose page is lost ----------------------------------
      const signalsInMadvise = series === '6.12';
      // verifyStop: the page verify trips over first (an earlier page may be poisoned already).
      const poison = async (name: string, index: number, lsb: number, label: string, verifyStop = index) => {
        const vaddr = pageOf(target(name), index).vaddr;
        const reply = await helper.madvise(name, index, 'hwpoison');
        expect(reply, `${name} madvise`).toMatchObject({ ok: true, ret: 0 });
        if (signalsInMadvise) {
          expect(reply.sigbus, `${name} madvise`).toEqual({ code: 4, codeName: 'BUS_MCEERR_AR', addr: vaddr, lsb });
        } else {
          expect(reply.sigbus, `${name} madvise`).toBeNull();
        }
        const access = await helper.access(name, index, 'read');
        expect(access, `${name} access`).toMatchObject({ ok: true, outcome: 'sigbus', sigbus: { code: 4, codeName: 'BUS_MCEERR_AR', addr: vaddr, lsb } });
        const verify = await helper.verify(name, SEED);
        const stopVaddr = pageOf(target(name), verifyStop).vaddr;
        expect(verify, `${name} verify`).toMatchObject({ ok: true, intact: false, firstMismatch: null, sigbus: { code: 4, addr: stopVaddr } });
        expect(verify.sigbusOffset).toBe(verifyStop * target(name).pageSize);
        const after = pageOf(await rawPages(helper, name), index);
        expect(after.pfn, `${name} after poison`).toBeNull();
        note(label, 'madvise(MADV_HWPOISON)', `madvise ret 0, ${sigbusText(reply.sigbus)}; access: ${sigbusText(access.sigbus)}; page ${after.present ? 'present' : 'unmapped'}`);
        return after;
      };
      const anonAfter = await poison('anon', 1, 12, 'anon');
      // The PTE becomes a hwpoison swap entry whose offset is the poisoned PFN.
      expect(anonAfter).toMatchObject({ present: false, swapped: true, swapOffset: pageOf(target('anon'), 1).pfn });
      expect(await helper.access('anon', 0, 'write')).toMatchObject({ outcome: 'ok', sigbus: null });
      await poison('shared', 0, 12, 'anon-shared');
      await poison('shmem', 0, 12, 'shmem (memfd)');
      await poison('mlocked', 0, 12, 'mlocked');
      await poison('hugetlb', 0, 21, 'hugetlb 2 MiB');
      const thpAfter = await poison('thp', 0, 12, 'thp');
      expect(thpAfter).toMatchObject({ huge: false });
      await poison('tmpclean', 0, 12, 'file-clean (tmpfs)');

      // A dirty page-cache page: the data is gone, and fsync says so once.
      await poison('extdirty', 0, 12, 'file-dirty (ext4)');
      const fsync1 = await helper.fsync('extdirty');
      expect(fsync1).toMatchObject({ ok: false, ret: -1, errno: 5, errnoName: 'EIO', sigbus: null });
      const fsync2 = await helper.fsync('extdirty');
      expect(fsync2).toMatchObject({ ok: true, ret: 0 });
      note('file-dirty (ext4)', 'fsync after poison', `1st: ${fsync1.errnoName ?? fsync1.ret}, 2nd: ${fsync2.ret}`);
      // fsync wrote page 1 back; a store through the mapping makes it dirty again.
      expect(await helper.access('extdirty', 1, 'write')).toMatchObject({ outcome: 'ok', sigbus: null });
      expect(pageOf(await rawPages(helper, 'extdirty'), 1).names).toContain('dirty');
      await poison('extdirty', 1, 12, 'file-dirty (ext4) page 1', 0);
      const msync1 = await helper.msync('extdirty');
      const msync2 = await helper.msync('extdirty');
      expect(msync1).toMatchObject({ ok: false, ret: -1, errnoName: 'EIO' });
      expect(msync2).toMatchObject({ ok: true, ret: 0 });
      note('file-dirty (ext4)', 'msync after poison', `1st: ${msync1.errnoName ?? msync1.ret}, 2nd: ${msync2.ret}`);

      await poison('tmpdirty', 0, 12, 'file-dirty (tmpfs)');
      const tmpFsync = await helper.fsync('tmpdirty');
      expect(tmpFsync).toMatchObject({ ok: true, ret: 0 });
      note('file-dirty (tmpfs)', 'fsync after poison', `ret ${tmpFsync.ret} (tmpfs reports the loss only on access)`);

      // A clean page-cache page on a block device is just dropped and read back.
      const cleanBefore = pageOf(target('extclean'), 0);
      const clean = await helper.madvise('extclean', 0, 'hwpoison');
      expect(clean).toMatchObject({ ok: true, ret: 0, sigbus: null });
      expect(await helper.access('extclean', 0, 'read')).toMatchObject({ outcome: 'ok', sigbus: null });
      expect(await helper.verify('extclean', SEED)).toMatchObject({ intact: true, sigbus: null });
      const cleanAfter = pageOf(await rawPages(helper, 'extclean'), 0);
      expect(cleanAfter.pfn).not.toBeNull();
      expect(cleanAfter.pfn).not.toBe(cleanBefore.pfn);
      note('file-clean (ext4)', 'madvise(MADV_HWPOISON)', `no SIGBUS; re-read from disk, data intact, PFN ${cleanBefore.pfn} -> ${cleanAfter.pfn}`);

      // --- MADV_SOFT_OFFLINE: data migrates, the page frame changes ----------------------
      const softBefore = pageOf(target('soft'), 0);
      const soft = await helper.madvise('soft', 0, 'soft-offline');
      expect(soft).toMatchObject({ ok: true, ret: 0, sigbus: null });
      const softAfter = pageOf(await helper.pages('soft'), 0);
      expect(softAfter.pfn).not.toBeNull();
      expect(softAfter.pfn).not.toBe(softBefore.pfn);
      expect(await helper.verify('soft', SEED)).toMatchObject({ intact: true, sigbus: null });
      const oldFrame = await helper.request(replySchema, ['kpageflags', softBefore.pfn!]);
      expect((oldFrame.pages as { names: string[] }[])[0]?.names).toContain('hwpoison');
      note('anon', 'madvise(MADV_SOFT_OFFLINE)', `ret 0, data intact, PFN ${softBefore.pfn} -> ${softAfter.pfn}, old frame hwpoison`);

      // --- early kill: an asynchronous BUS_MCEERR_AO while the helper sits idle ----------
      expect(await helper.setMceKill('early')).toMatchObject({ policy: 'early' });
      const early = await helper.alloc('early', 'anon-shared', 1);
      const earlyPage = pageOf(early, 0);
      await shell(guest, `echo ${earlyPage.pfn} > /sys/kernel/debug/hwpoison/corrupt-pfn`);
      const ao = await waitForEvent(helper, (event) => event.event === 'sigbus' && event.async === true, 10_000);
      expect(ao).not.toBeNull();
      expect(asyncEventSchema.parse(ao)).toMatchObject({ code: 5, codeName: 'BUS_MCEERR_AO', addr: earlyPage.vaddr, lsb: 12, target: 'early', index: 0 });
      expect(ao).not.toHaveProperty('id');
      note('anon-shared', 'mce-kill early + debugfs corrupt-pfn', `async event ${String(ao?.codeName)} lsb ${String(ao?.lsb)} while idle`);
      expect(await helper.access('early', 0, 'read')).toMatchObject({ outcome: 'sigbus', sigbus: { code: 4 } });

      // Late kill: nothing until the page is touched.
      expect(await helper.setMceKill('late')).toMatchObject({ policy: 'late' });
      const late = await helper.alloc('late', 'anon', 1);
      const eventsBefore = helper.events().length;
      await shell(guest, `echo ${pageOf(late, 0).pfn} > /sys/kernel/debug/hwpoison/corrupt-pfn`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(helper.events().length).toBe(eventsBefore);
      const lateAccess = await helper.access('late', 0, 'read');
      expect(lateAccess).toMatchObject({ outcome: 'sigbus', sigbus: { code: 4, codeName: 'BUS_MCEERR_AR', lsb: 12 } });
      note('anon', 'mce-kill late + debugfs corrupt-pfn', `no event; access: ${sigbusText(lateAccess.sigbus)}`);
      expect(await helper.setMceKill('default')).toMatchObject({ policy: 'default' });

      // --- spin: a pinned user-mode read loop, cut short by the page's loss ----------------
      const spinner = pageOf(await helper.alloc('spinner', 'anon', 1), 0);
      const idle = await helper.request(spinReplySchema, ['spin', 'spinner', 0, 200, 1]);
      expect(idle).toMatchObject({ ok: true, outcome: 'ok', sigbus: null });
      expect(idle.loops).toBeGreaterThan(0);
      const spinning = helper.waitForEvent('spinning', 10_000);
      const spin = helper.request(spinReplySchema, ['spin', 'spinner', 0, 20_000, 0], 60_000);
      const started = await spinning;
      expect(started).not.toHaveProperty('ok');
      expect(started.id).toBeTypeOf('number');
      await shell(guest, `echo ${spinner.pfn} > /sys/kernel/debug/hwpoison/corrupt-pfn`);
      const spun = await spin;
      expect(spun).toMatchObject({ ok: true, outcome: 'sigbus', sigbus: { code: 4, codeName: 'BUS_MCEERR_AR', lsb: 12 } });
      // si_addr is the byte the loop was reading when the page went; lsb says which bits count.
      expect(BigInt(spun.sigbus!.addr) & ~0xfffn).toBe(BigInt(spinner.vaddr));
      expect(spun.loops).toBeGreaterThan(0);
      note('anon', 'spin on CPU 0 + debugfs corrupt-pfn', `spin ends: ${sigbusText(spun.sigbus)} after ${spun.loops} passes`);

      // --- write-file: the kernel's errno, exactly -----------------------------------------
      const garbage = await helper.request(replySchema, ['write-file', '/sys/kernel/debug/hwpoison/corrupt-pfn', 'garbage']);
      expect(garbage).toMatchObject({ ok: false, ret: -1, errno: 22, errnoName: 'EINVAL' });
      expect(await writeGuestFile(guest, '/sys/kernel/debug/hwpoison/corrupt-pfn', 'garbage')).toMatchObject({ ok: false, errno: 'EINVAL' });
      // memory0 spans the DMA and DMA32 zones, so it can never go offline.
      const block0 = await writeGuestFile(guest, '/sys/devices/system/memory/memory0/state', 'offline');
      expect(block0).toMatchObject({ ok: false, errno: 'EINVAL' });
      const noFile = await helper.request(replySchema, ['write-file', '/sys/kernel/debug/hwpoison/no-such-file', '1']);
      expect(noFile).toMatchObject({ ok: false, errnoName: 'ENOENT' });
      note('sysfs/debugfs', 'write-file', `corrupt-pfn <- garbage: ${String(garbage.errnoName)}; memory0/state <- offline: ${block0.errno}`);

      // --- release removes what alloc made -------------------------------------------------
      await helper.release('extclean');
      await helper.release('tmpclean');
      expect((await guest.exec(`ls ${EXT4}/clean /tmp/helper-clean`)).exitCode).not.toBe(0);
      expect(await helper.request(replySchema, ['pages', 'extclean'])).toMatchObject({ ok: false });

      // --- an unguarded synchronous SIGBUS ends the helper with status 135 ---------------
      await helper.alloc('doomed', 'anon', 1);
      await helper.madvise('doomed', 0, 'hwpoison');
      await expect(helper.request(replySchema, ['access', 'doomed', 0, 'read', 'unguarded'])).rejects.toThrow(/exit 135/);
      const end = await helper.closed;
      expect(end.exitCode).toBe(135);
      const fatal = helper.events().find((event) => event.event === 'sigbus' && event.fatal === true);
      expect(fatal).toMatchObject({ async: false, code: 4, codeName: 'BUS_MCEERR_AR', exitStatus: 135 });
      note('anon', 'unguarded access after poison', `fatal event, exit ${end.exitCode}`);
      await helper.close();
    });

    console.log(`memharness-helper observations on ${series}:\n${observations.map((o) => `  ${o.kind} | ${o.action} | ${o.result}`).join('\n')}`);
    expect(leftoverQemuGroups()).toEqual([]);
  });
});
