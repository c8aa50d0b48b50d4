import { describe, expect, it } from 'vitest';
import { leftoverQemuGroups, withTestGuest } from '../testing/guest-fixture.ts';
import type { Guest } from '../vm/guest.ts';
import { parseCrashes } from './crash/parse-crashes.ts';
import { decodeTaint } from './crash/taint.ts';
import { eventsOfType } from './events/parse-event.ts';
import { normalisePfn, type Pfn } from './events/pfn.ts';
import { waitForKernelEvent } from './events/wait-for-event.ts';
import { parseConsoleLine } from './records/console-record.ts';
import { startGuestKmsgReader } from './reader/guest-kmsg-reader.ts';
import { mergeTimeline } from './timeline/merge-timeline.ts';

const KPF_BUDDY = 1n << 10n;

/** A free page (only the buddy flag set in /proc/kpageflags), searched from 1.5 GiB up. */
async function freePfn(guest: Guest): Promise<Pfn> {
  const first = 0x60000n;
  const result = await guest.exec(`dd if=/proc/kpageflags bs=4096 skip=${(first * 8n) / 4096n} count=1 2>/dev/null | od -An -v -tx8`);
  const flags = result.stdout.split(/\s+/).filter(Boolean).map((word) => BigInt(`0x${word}`));
  const index = flags.findIndex((value) => value === KPF_BUDDY);
  if (index === -1) throw new Error(`no free page in the 512 pages from ${normalisePfn(first)}:\n${result.stdout}`);
  return normalisePfn(first + BigInt(index));
}

describe('the kernel log of a real 6.12 guest', () => {
  it('shows the memory-failure event of a debugfs hwpoison on a free page, after a mark, and the taint decodes', async () => {
    await withTestGuest(undefined, { modules: ['hwpoison_inject'], memoryMiB: 2048 }, async ({ guest }) => {
      const reader = await startGuestKmsgReader(guest);
      try {
        // The first read of /dev/kmsg replays the ring buffer from the boot's first record.
        const first = await reader.waitFor((record) => record.seq === 0, { timeoutMs: 30_000 });
        expect(first.text).toMatch(/^Linux version 6\.12\./);

        const pfn = await freePfn(guest);
        const mark = await reader.markInKernelLog('before-hwpoison');
        const write = await guest.exec(`echo ${pfn} > /sys/kernel/debug/hwpoison/corrupt-pfn; echo rc=$?`);
        expect(write.stdout.trim()).toBe('rc=0');

        const found = await waitForKernelEvent(reader, 'memory-failure', { after: mark, where: (event) => event.pfn === pfn, timeoutMs: 30_000 });
        expect(found.event).toEqual({ type: 'memory-failure', pfn, pageType: 'free buddy page', result: 'Recovered' });
        const slice = reader.since(mark);
        expect(slice.losses).toEqual([]);
        expect(eventsOfType(slice.records, 'hwpoison-injected').map((located) => located.event)).toEqual([{ type: 'hwpoison-injected', via: 'debugfs', pfn }]);

        // The console printed the same line; merged, it is one entry seen on both channels.
        const console = guest.machine.console.lines().flatMap((line) => parseConsoleLine(line.text, line.atMs));
        const timeline = mergeTimeline(slice.records, console);
        const entry = timeline.find((candidate) => candidate.record.seq === found.record.seq);
        expect(entry?.sources).toEqual(['kmsg', 'console']);
        expect(parseCrashes(reader.all())).toEqual([]);

        // Software injection marks the page but does not taint the kernel (a real MCE sets 'M').
        const tainted = await guest.exec('cat /proc/sys/kernel/tainted');
        expect(decodeTaint(tainted.stdout)).toEqual({ value: 0, flags: [], letters: 'G', unknownBits: [] });
      } finally {
        await reader.stop();
      }
      expect(reader.isClosed).toBe(true);
      // The guest side of the reader is gone too: no cat of /dev/kmsg left behind.
      const leftovers = await guest.exec('for p in /proc/[0-9]*; do tr "\\0" " " < $p/cmdline 2>/dev/null; echo; done | grep -c "^cat /dev/kmsg" || true');
      expect(leftovers.stdout.trim()).toBe('0');
    });
    expect(leftoverQemuGroups()).toEqual([]);
  });
});
