import { describe, expect, it } from 'vitest';
import type { LogRecord } from '../records/log-record.ts';
import { dedupCrashes } from './dedup-crashes.ts';
import { normaliseTitle } from './normalise-title.ts';
import { parseCrashes } from './parse-crashes.ts';
import { guiltyFunction } from './stack-frames.ts';

// Shape examples, built from the kernel's printk formats for reports no userspace action
// could provoke in the recorded Debian guests (no lkdtm there). They test the table, not
// the kernel: the recorded crashes are in parse-crashes.recorded.test.ts.
const kernelLines = (lines: string[], startUs = 1_000_000): LogRecord[] => lines.map((text, index) => ({ source: 'console', kernelTimeUs: startUs + index, text }));

const warning = (pid: number, line: number, offset: string) => [
  '------------[ cut here ]------------',
  `WARNING: CPU: 1 PID: ${pid} at mm/memory-failure.c:${line} memory_failure+0x${offset}/0x9a0`,
  'Modules linked in: hwpoison_inject',
  `CPU: 1 UID: 0 PID: ${pid} Comm: sh Tainted: G   M               6.12.117+deb12-amd64 #1`,
  'Tainted: [M]=MACHINE_CHECK',
  `RIP: 0010:memory_failure+0x${offset}/0x9a0`,
  'Call Trace:',
  ' <TASK>',
  ' ? __warn+0x81/0x130',
  ' hwpoison_inject+0x5c/0x80 [hwpoison_inject]',
  ' simple_attr_write_xsigned+0x101/0x150',
  ' </TASK>',
  '---[ end trace 0000000000000000 ]---',
];

describe('parseCrashes on report shapes', () => {
  it('a WARNING: "cut here" context, title from the header, taint, end at the end-trace line', () => {
    const records = kernelLines(['unrelated before', ...warning(77, 2101, '2a'), 'unrelated after']);
    const [report, ...rest] = parseCrashes(records);
    expect(rest).toEqual([]);
    expect(report).toMatchObject({ kind: 'warning', title: 'WARNING in memory_failure', guiltyFunction: 'memory_failure', firstRecordIndex: 1, lastRecordIndex: 13 });
    expect(report?.taint).toMatchObject({ value: 16, flags: ['MACHINE_CHECK'] });
  });

  it('dedups two WARNINGs from different PIDs, lines and offsets', () => {
    const reports = parseCrashes(kernelLines([...warning(77, 2101, '2a'), ...warning(912, 2230, '3c')]));
    expect(reports).toHaveLength(2);
    expect(dedupCrashes(reports).map((group) => group.count)).toEqual([2]);
  });

  it('keeps an oops and its "Fatal exception" panic together, blaming the RIP function', () => {
    const reports = parseCrashes(
      kernelLines([
        'BUG: kernel NULL pointer dereference, address: 0000000000000008',
        '#PF: supervisor read access in kernel mode',
        'Oops: Oops: 0000 [#1] PREEMPT SMP NOPTI',
        'CPU: 0 UID: 0 PID: 1 Comm: init Not tainted 6.12.117+deb12-amd64 #1',
        'RIP: 0010:shake_folio+0x12/0x80',
        'Call Trace:',
        ' <TASK>',
        ' memory_failure+0x1d1/0x9a0',
        ' </TASK>',
        'Kernel panic - not syncing: Fatal exception',
        'Kernel Offset: disabled',
      ]),
    );
    expect(reports.map((report) => [report.kind, report.title])).toEqual([['null-pointer', 'BUG: kernel NULL pointer dereference in shake_folio']]);
    expect(reports[0]?.text).toMatch(/Fatal exception\nKernel Offset: disabled$/);
  });

  it('a list corruption is one report with the kernel BUG that follows it', () => {
    const reports = parseCrashes(
      kernelLines([
        'list_add corruption. prev->next should be next (ffff888003a1b2c0), but was 0000000000000000. (prev=ffff888003a1b2c0).',
        '------------[ cut here ]------------',
        'kernel BUG at lib/list_debug.c:32!',
        'RIP: 0010:__list_add_valid_or_report+0x8b/0xa0',
        'Call Trace:',
        ' <TASK>',
        ' ? __list_add_valid_or_report+0x8b/0xa0',
        ' free_pcppages_bulk+0x11e/0x2a0',
        ' </TASK>',
        '---[ end trace 0000000000000000 ]---',
      ]),
    );
    expect(reports.map((report) => [report.kind, report.title])).toEqual([['list-corruption', 'list_add corruption in free_pcppages_bulk']]);
  });

  it('a stack dump without an end marker ends at the first line that is not part of it', () => {
    const reports = parseCrashes(
      kernelLines([
        'BUG: Bad page state in process sh  pfn:60000',
        'page: refcount:0 mapcount:1 mapping:0000000000000000 index:0x0 pfn:0x60000',
        'page dumped because: nonzero mapcount',
        'CPU: 0 PID: 100 Comm: sh Tainted: G    B              6.1.0-56-amd64 #1',
        'Call Trace:',
        ' <TASK>',
        ' bad_page+0xd5/0x100',
        ' free_unref_page+0x3c/0x1f0',
        ' </TASK>',
        'Memory failure: 0x60000: recovery action for free buddy page: Recovered',
      ]),
    );
    expect(reports.map((report) => [report.kind, report.title, report.lastRecordIndex, report.taint?.flags])).toEqual([['bad-page-state', 'BUG: Bad page state', 8, ['BAD_PAGE']]]);
  });

  it('marks a report that should have a stack but has none as corrupted', () => {
    const [report] = parseCrashes(kernelLines(['watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [sh:100]']));
    expect(report).toMatchObject({ kind: 'soft-lockup', title: 'BUG: soft lockup', corrupted: true, corruptedReason: 'no stack trace in the report' });
  });

  it('ignores userspace console lines, even if they look like a header', () => {
    expect(parseCrashes([{ source: 'console', text: 'BUG: this is a shell echo' }, { source: 'console', kernelTimeUs: 1, text: 'x' }])).toEqual([]);
  });
});

describe('normaliseTitle', () => {
  it.each([
    ['WARNING in memory_failure.isra.0', 'WARNING in memory_failure'],
    ['kernel panic: Memory failure on page 60acc', 'kernel panic: Memory failure on page ADDR'],
    ['BUG: unable to handle page fault for address: ffffffffc0ffee00', 'BUG: unable to handle page fault for address: ADDR'],
    ['UBSAN: shift-out-of-bounds in mm/memory-failure.c:1234:5', 'UBSAN: shift-out-of-bounds in mm/memory-failure.c:LINE'],
    ['INFO: task sleep:215 blocked for more than 120 seconds.', 'INFO: task sleep:NUM blocked for more than NUM seconds.'],
    ['BUG: soft lockup - CPU#1 stuck for 22s! [sh:100]', 'BUG: soft lockup - CPU#NUM stuck for NUMs! [sh:NUM]'],
    ['Oops: 0000 [#1] SMP', 'Oops: NUM [NUM] SMP'],
    ['foo+0x1a/0x2b at 0xdead', 'foo+OFF at ADDR'],
  ])('%s → %s', (title, normalised) => {
    expect(normaliseTitle(title)).toBe(normalised);
  });
});

describe('guiltyFunction', () => {
  it('skips questionable frames and reporting machinery (recorded 6.1 sysrq trace)', () => {
    expect(guiltyFunction([' <TASK>', ' dump_stack_lvl+0x44/0x5c', ' panic+0x118/0x2f4', ' ? _printk+0x68/0x83', ' sysrq_handle_crash+0x16/0x20'])).toBe('sysrq_handle_crash');
    expect(guiltyFunction(['RIP: 0033:0x47b7a0'])).toBeNull();
  });
});
