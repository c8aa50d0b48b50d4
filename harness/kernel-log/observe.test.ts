import { describe, expect, it } from 'vitest';
import { parseCrashes } from './crash/parse-crashes.ts';
import { kernelEvents } from './events/parse-event.ts';
import { FIXTURE_KERNELS, loadFixture } from './fixtures/load-fixture.ts';
import { observe, observeBetweenMarks } from './observe.ts';
import { KMSG_MARK_PREFIX } from './reader/kmsg-command.ts';

const notMark = (text: string) => !text.startsWith(KMSG_MARK_PREFIX);

describe.each(FIXTURE_KERNELS)('observe() on %s recordings', (kernel) => {
  it('a live guest: each event once though both channels printed it, no crash, nothing lost', () => {
    const fixture = loadFixture(kernel, 'hwpoison-free-page');
    const seen = observe({ kmsg: fixture.kmsg, losses: [], console: fixture.console, alive: true });
    const fromKmsg = kernelEvents(fixture.kmsg.filter((record) => notMark(record.text)));
    expect(fromKmsg.length).toBeGreaterThan(0);
    expect(seen.events.map((located) => located.event)).toEqual(fromKmsg.map((located) => located.event));
    expect(seen.crashes).toEqual([]);
    expect(seen.lostRecords).toBe(0);
    expect(seen.lines.some((record) => record.text.startsWith(KMSG_MARK_PREFIX))).toBe(false);
  });

  it('a guest that panicked: the report comes from the console lines the dead kmsg stream never sent', () => {
    const fixture = loadFixture(kernel, 'sysrq-crash');
    const seen = observe({ kmsg: fixture.kmsg, losses: [], console: fixture.console, alive: false });
    expect(seen.crashes.map((crash) => crash.title)).toEqual(['kernel panic: sysrq triggered crash']);
    expect(seen.lines.map((record) => record.text)).toContain('Kernel panic - not syncing: sysrq triggered crash');
    // The console holds what kmsg holds and more: the merged log finds what the console alone does.
    expect(seen.crashes.map((crash) => crash.title)).toEqual(parseCrashes(fixture.console).map((crash) => crash.title));
  });

  it('console kernel lines from before the start mark are not the window’s', () => {
    const fixture = loadFixture(kernel, 'hwpoison-free-page');
    const events = observe({ kmsg: [], losses: [], console: fixture.console, alive: true, fromUs: Number.MAX_SAFE_INTEGER }).events;
    expect(events).toEqual([]);
  });

  it('counts the records a gap in seq hid', () => {
    const fixture = loadFixture(kernel, 'hwpoison-free-page');
    const seen = observe({ kmsg: fixture.kmsg, losses: [{ afterSeq: 10, nextSeq: 40, lost: 29, cause: 'ring-buffer' }, { afterSeq: null, nextSeq: 5, lost: 4, cause: 'reader-limit' }], console: [], alive: true });
    expect(seen.lostRecords).toBe(33);
  });
});

describe('observe()', () => {
  it('splits a multi-line kmsg record into lines, each with the console copy’s arrival time', () => {
    const seen = observe({
      kmsg: [{ source: 'kmsg', seq: 1, kernelTimeUs: 10, level: 4, text: 'Memory failure: 0x1234: recovery action for free buddy page: Recovered\nsecond line' }],
      losses: [],
      console: [
        { source: 'console', kernelTimeUs: 10, hostMs: 5, text: 'Memory failure: 0x1234: recovery action for free buddy page: Recovered' },
        { source: 'console', kernelTimeUs: 10, hostMs: 6, text: 'second line' },
      ],
      alive: true,
    });
    expect(seen.lines.map((record) => [record.text.slice(0, 14), record.hostMs])).toEqual([['Memory failure', 5], ['second line', 6]]);
    expect(seen.events.map((located) => located.event.type)).toEqual(['memory-failure']);
  });
});

describe('observeBetweenMarks()', () => {
  it('keeps the records and losses through the end mark, not after it (recorded 6.12 free-page poisoning)', () => {
    const fixture = loadFixture('6.12.117+deb12-amd64', 'hwpoison-free-page');
    const seqs = fixture.kmsg.map((record) => record.seq!);
    const end = { afterSeq: seqs[Math.floor(seqs.length / 2)]! };
    const seen = observeBetweenMarks({
      slice: { records: fixture.kmsg, losses: [{ afterSeq: seqs[0]!, nextSeq: seqs[1]!, lost: 3, cause: 'ring-buffer' }, { afterSeq: end.afterSeq, nextSeq: end.afterSeq + 9, lost: 8, cause: 'ring-buffer' }] },
      start: { afterSeq: -1 },
      end,
      console: [],
      alive: true,
    });
    expect(seen.lostRecords).toBe(3);
    expect(seen.lines.every((record) => (record.seq ?? 0) <= end.afterSeq)).toBe(true);
  });
});
