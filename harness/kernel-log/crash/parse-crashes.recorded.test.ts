import { describe, expect, it } from 'vitest';
import { FIXTURE_KERNELS, loadFixture } from '../fixtures/load-fixture.ts';
import { mergeTimeline, timelineRecords } from '../timeline/merge-timeline.ts';
import { dedupCrashes } from './dedup-crashes.ts';
import { parseCrashes } from './parse-crashes.ts';

function crashesOf(kernel: (typeof FIXTURE_KERNELS)[number], scenario: string) {
  const fixture = loadFixture(kernel, scenario);
  return { fixture, reports: parseCrashes(timelineRecords(mergeTimeline(fixture.kmsg, fixture.console)), { logPath: fixture.consolePath }) };
}

describe.each(FIXTURE_KERNELS)('crash reports recorded on %s', (kernel) => {
  it('sysrq crash: a panic report from the console, with its stack, blamed on sysrq_handle_crash', () => {
    const { fixture, reports } = crashesOf(kernel, 'sysrq-crash');
    expect(reports).toHaveLength(1);
    const [report] = reports;
    expect(report).toMatchObject({
      kind: 'panic',
      title: 'kernel panic: sysrq triggered crash',
      normalisedTitle: 'kernel panic: sysrq triggered crash',
      guiltyFunction: 'sysrq_handle_crash',
      taint: { value: 0, flags: [] },
      logPath: fixture.consolePath,
    });
    expect(report?.corrupted).toBeUndefined();
    expect(report?.text.split('\n')[0]).toBe('Kernel panic - not syncing: sysrq triggered crash');
    expect(report?.text).toMatch(/\nCall Trace:\n <TASK>\n/);
    expect(report?.text.split('\n').at(-1)).toBe('Kernel Offset: disabled');
    // The kmsg stream died with the guest: the console alone carries the report.
    expect(fixture.kmsg.map((record) => record.text)).toEqual([expect.stringMatching(/^memharness-mark: begin-sysrq-crash#/)]);
  });

  it.each([
    ['mce-fatal', 'kernel panic: Fatal machine check (In kernel and no restart IP)'],
    ['mce-srar-idle-kernel', 'kernel panic: Fatal machine check (Data load in unrecoverable area of kernel)'],
    ['mce-srao-no-broadcast', 'kernel panic: Timeout: Not all CPUs entered broadcast exception handler'],
  ])('%s: a machine-check panic titled with its reason, the MCE dump included', (scenario, title) => {
    const { reports } = crashesOf(kernel, scenario);
    expect(reports.map((report) => [report.kind, report.title, report.corrupted ?? false])).toEqual([['machine-check-panic', title, false]]);
    expect(reports[0]?.text.split('\n')[0]).toMatch(/^mce: (?:\[Hardware Error\]: CPU 0: Machine Check Exception|CPUs not responding)/);
  });

  it('no crash report where there was no crash', () => {
    for (const scenario of ['boot', 'hwpoison-free-page', 'hwpoison-late-kill', 'mce-srao-process-page', 'mce-srao-outside-ram', 'madvise-hwpoison']) {
      expect(crashesOf(kernel, scenario).reports).toEqual([]);
    }
  });
});

describe('dedup', () => {
  it('collapses the ten page dumps of one failed offline into one group', () => {
    const { reports } = crashesOf('6.12.117+deb12-amd64', 'memory-offline-failure');
    expect(reports).toHaveLength(10);
    expect(reports[0]?.text.split('\n')[0]).toMatch(/^page: refcount:\d+ mapcount:1 /);
    const groups = dedupCrashes(reports);
    expect(groups.map((group) => [group.kind, group.title, group.count])).toEqual([['page-dump', 'page dumped because: migration failure', 10]]);
  });

  it('gives the same crash on 6.1 and 6.12 the same normalised title', () => {
    const all = FIXTURE_KERNELS.flatMap((kernel) => [...crashesOf(kernel, 'sysrq-crash').reports, ...crashesOf(kernel, 'mce-fatal').reports]);
    expect(dedupCrashes(all).map((group) => [group.normalisedTitle, group.count])).toEqual([
      ['kernel panic: sysrq triggered crash', 2],
      ['kernel panic: Fatal machine check (In kernel and no restart IP)', 2],
    ]);
  });
});
