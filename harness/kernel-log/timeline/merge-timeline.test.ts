import { describe, expect, it } from 'vitest';
import { FIXTURE_KERNELS, loadFixture } from '../fixtures/load-fixture.ts';
import type { LogRecord } from '../records/log-record.ts';
import { mergeTimeline, timelineRecords } from './merge-timeline.ts';

const consoleOrder = (records: readonly LogRecord[]) => records.map((record) => `${record.kernelTimeUs ?? '-'} ${record.text}`);

describe.each(FIXTURE_KERNELS)('mergeTimeline on %s recordings', (kernel) => {
  it('boot: console kernel lines pair with kmsg records, debug records stay kmsg-only, init lines console-only', () => {
    const boot = loadFixture(kernel, 'boot');
    const timeline = mergeTimeline(boot.kmsg, boot.console);
    const consoleOnly = timeline.filter((entry) => entry.sources.join() === 'console');
    const kmsgOnly = timeline.filter((entry) => entry.sources.join() === 'kmsg');
    expect(consoleOnly.map((entry) => entry.record.text)).toEqual(['memharness-init: start', 'memharness-init: modules-done', 'memharness-init: ready ssh=1']);
    // Below the console loglevel (7 = debug): only /dev/kmsg has them.
    expect(kmsgOnly.length).toBeGreaterThan(0);
    expect(kmsgOnly.every((entry) => entry.record.level === 7)).toBe(true);
    expect(timeline).toHaveLength(boot.kmsg.length + consoleOnly.length);
    // Both channels keep their own order: kmsg by seq, the console as printed.
    const seqs = timeline.flatMap((entry) => (entry.kmsg ? [entry.kmsg.seq ?? -1] : []));
    expect(seqs).toEqual(boot.kmsg.map((record) => record.seq));
    expect(consoleOrder(timeline.flatMap((entry) => entry.console))).toEqual(consoleOrder(boot.console));
    // The init ran after the kernel's last words about starting it ("  with arguments:" ... at level 7).
    const start = timeline.findIndex((entry) => entry.record.text === 'memharness-init: start');
    expect(timeline[start - 1]?.record.text).toBe('    TERM=linux');
  });

  it('crash: the console trailer after the last kmsg record survives as console-only lines', () => {
    const crash = loadFixture(kernel, 'sysrq-crash');
    const timeline = mergeTimeline(crash.kmsg, crash.console);
    expect(timeline[0]?.sources).toEqual(['kmsg', 'console']);
    expect(timeline.slice(1).every((entry) => entry.sources.join() === 'console' && entry.record.kernelTimeUs !== undefined)).toBe(true);
    expect(timelineRecords(timeline).map((record) => record.text)).toContain('Kernel panic - not syncing: sysrq triggered crash');
  });

  it('is deterministic', () => {
    const fixture = loadFixture(kernel, 'memory-offline-failure');
    expect(mergeTimeline(fixture.kmsg, fixture.console)).toEqual(mergeTimeline([...fixture.kmsg].reverse(), fixture.console));
  });
});

describe('mergeTimeline', () => {
  it('places a kmsg-only debug record by kernel time among console lines (recorded 6.12 offline failure)', () => {
    const fixture = loadFixture('6.12.117+deb12-amd64', 'memory-offline-failure');
    const texts = timelineRecords(mergeTimeline(fixture.kmsg, fixture.console)).map((record) => record.text);
    const failure = texts.findIndex((text) => text.startsWith('memory offlining'));
    expect(texts[failure - 1]).toBe('page dumped because: migration failure');
    expect(texts[failure + 1]).toMatch(/^memharness-mark: end-memory-offline-failure#/);
  });

  it('pairs the lines of a multi-line record with one kmsg record', () => {
    const kmsg: LogRecord[] = [{ source: 'kmsg', seq: 1, kernelTimeUs: 10, level: 4, text: 'first\nsecond' }];
    const console: LogRecord[] = [
      { source: 'console', kernelTimeUs: 10, text: 'first' },
      { source: 'console', kernelTimeUs: 10, text: 'second' },
    ];
    expect(mergeTimeline(kmsg, console)).toEqual([{ record: kmsg[0], sources: ['kmsg', 'console'], kmsg: kmsg[0], console }]);
  });
});
