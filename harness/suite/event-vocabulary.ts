import type { KernelEvent, KernelEventType } from '../kernel-log/events/kernel-event.ts';

/**
 * What a suite may match on for each kernel event type. The type below makes this table
 * list exactly the fields of every KernelEvent kind, so a new event or field in
 * kernel-event.ts fails to compile here until the suite vocabulary knows it.
 */
export type FieldKind = 'pfn' | 'hex' | 'number' | 'string' | 'boolean' | { oneOf: readonly string[] };

type EventOf<T extends KernelEventType> = Extract<KernelEvent, { type: T }>;
type FieldTable = { readonly [T in KernelEventType]: { readonly [K in Exclude<keyof EventOf<T>, 'type'>]-?: FieldKind } };

const MF_RESULT = { oneOf: ['Ignored', 'Failed', 'Delayed', 'Recovered'] } as const;

export const EVENT_FIELDS: FieldTable = {
  'memory-failure': { pfn: 'pfn', pageType: 'string', result: MF_RESULT },
  'already-poisoned': { pfn: 'pfn', operation: { oneOf: ['memory-failure', 'soft-offline'] }, result: MF_RESULT },
  'unhandlable-page': { pfn: 'pfn' },
  'unknown-page-state': { pfn: 'pfn' },
  'memory-outside-kernel': { pfn: 'pfn' },
  'page-still-referenced': { pfn: 'pfn', pageType: 'string', users: 'number' },
  'unmap-failed': { pfn: 'pfn', mapcount: 'number' },
  'memory-failure-note': {
    pfn: 'pfn',
    note: {
      oneOf: [
        'clean-page-dropped', 'kept-in-swap-cache', 'invalidate-failed', 'punch-hole-failed', 'release-buffers-failed',
        'huge-mapping-lock-failed', 'tail-page-race', 'ksm-page', 'out-of-memory', 'queue-overflow', 'unhandled-result',
      ],
    },
    code: 'number',
  },
  'sigbus-sent': { pfn: 'pfn', comm: 'string', pid: 'number' },
  'mce-kill': { comm: 'string', pid: 'number', addr: 'hex' },
  'process-force-killed': { pfn: 'pfn', comm: 'string', pid: 'number' },
  'signal-failed': { problem: { oneOf: ['advisory', 'error', 'address-not-found'] }, pfn: 'pfn', comm: 'string', pid: 'number', errno: 'number' },
  'hwpoison-injected': { pfn: 'pfn', via: { oneOf: ['debugfs', 'madvise'] }, vaddr: 'hex' },
  'soft-offline-requested': { pfn: 'pfn', vaddr: 'hex' },
  'soft-offline': {
    pfn: 'pfn',
    outcome: { oneOf: ['isolation-failed', 'migration-failed', 'thp-split-failed', 'invalidated'] },
    pageKind: 'string',
    pageCount: 'number',
    error: 'number',
    pageFlags: 'string',
  },
  'soft-offline-disabled': {},
  unpoison: {
    pfn: 'pfn',
    outcome: {
      oneOf: ['unpoisoned', 'already-unpoisoned', 'disabled-after-hw-failure', 'huge-zero-page', 'has-mapping', 'grabbed-by-someone', 'mapped-by-someone', 'grab-failed'],
    },
  },
  'mce-logged': {},
  'mce-record': { cpu: 'number', exception: 'boolean', mcgStatus: 'hex', bank: 'number', status: 'hex' },
  'mce-rip': { inexact: 'boolean', cs: 'hex', ip: 'hex', symbol: 'string' },
  'mce-registers': { tsc: 'hex', addr: 'hex', misc: 'hex', ppin: 'hex', synd: 'hex', ipid: 'hex' },
  'mce-processor': { vendor: 'number', cpuid: 'hex', time: 'number', socket: 'number', apic: 'hex', microcode: 'hex' },
  'mce-mcelog-hint': {},
  'mce-severity': { message: 'string', grade: 'string', fake: 'boolean' },
  'mce-cpus-not-responding': { cpus: 'string' },
  'mce-not-recovered': {},
  'mce-user-access-poison': { addr: 'hex', context: { oneOf: ['user-access', 'kernel-access'] } },
  'machine-check-panic': { message: 'string' },
  'memory-failure-panic': { pfn: 'pfn' },
  'memory-offline-failed': { start: 'hex', end: 'hex', reason: 'string' },
  'memory-online-failed': { start: 'hex', end: 'hex' },
  'memory-offlined': { pages: 'number' },
  'page-migration-failed': { pfn: 'pfn', ret: 'number' },
  'page-dumped': { reason: 'string' },
  'zonelists-built': { zonelists: 'number', mobilityGrouping: 'boolean', totalPages: 'number' },
  'hotplug-memmap-waste': { pages: 'number' },
  'memory-block-size': { mib: 'number' },
  'memory-block-add-failed': { func: 'string', error: 'number' },
  'acpi-memory-hotplug-error': { error: { oneOf: ['add-memory-failed', 'enable-device-failed'] }, device: 'string' },
  'ras-cec-soft-offline': { pfn: 'pfn' },
  'drop-caches': { comm: 'string', pid: 'number', mode: 'number' },
  'taint-lock-debugging-off': {},
};

/** What the kernel said for each event type, for the suite docs: the line's wording is in kernel-event.ts and the pattern tables. */
export const EVENT_DESCRIPTIONS: { readonly [T in KernelEventType]: string } = {
  'memory-failure': 'memory_failure()\'s verdict on a page: "Memory failure: PFN: recovery action for PAGE TYPE: RESULT" (`pageType` as action_page_types[] prints it: `free buddy page`, `dirty LRU page`, `huge page`…)',
  'already-poisoned': 'the page already had PG_hwpoison: "already hardware poisoned" (memory-failure, 6.1), "recovery action for already poisoned page: Failed" (6.12, with `result`), or soft offline\'s own wordings',
  'unhandlable-page': '"PFN: unhandlable page.": get_hwpoison_page() could not take the page (kernel-owned)',
  'unknown-page-state': '"PFN: Unknown page state"',
  'memory-outside-kernel': '"PFN: memory outside kernel control": no struct page (not RAM, or not online)',
  'page-still-referenced': '"PFN: PAGE TYPE still referenced by N users": recovery left extra references (Failed)',
  'unmap-failed': '"PFN: failed to unmap page (mapcount=N)" (6.1) / "(folio mapcount=N)" (6.12)',
  'memory-failure-note': 'memory_failure()\'s other remarks on a page (clean page dropped, kept in swap cache, invalidate failed…), by `note`; `code` is the errno or result number some carry',
  'sigbus-sent': '"PFN: Sending SIGBUS to COMM:PID due to hardware memory corruption" (kill_proc(): early kill, or the owner of a page being poisoned)',
  'mce-kill': '"MCE: Killing COMM:PID due to hardware memory corruption fault at ADDR": a user access hit a poisoned page (the late kill)',
  'process-force-killed': '"PFN: forcibly killing COMM:PID because of failure to unmap corrupted page" (SIGKILL)',
  'signal-failed': 'a process that should have been signalled was not: "Cannot send advisory machine check signal" (`advisory`), "Error sending signal" (`error`), "Unable to find user space address" (`address-not-found`, then SIGKILL)',
  'hwpoison-injected': '"Injecting memory failure at pfn PFN" (`via: debugfs`) or "… for pfn PFN at process virtual address VADDR" (`via: madvise`)',
  'soft-offline-requested': '"Soft offlining pfn PFN at process virtual address VADDR": madvise(MADV_SOFT_OFFLINE) (a soft offline that works prints nothing more)',
  'soft-offline': 'a soft offline that did not simply work, by `outcome`: isolation failed, migration failed (`error`: migrate_pages()\' return), THP split failed, or invalidated',
  'soft-offline-disabled': '"Soft offline: disabled by /proc/sys/vm/enable_soft_offline" (6.12 only)',
  unpoison: 'unpoison_memory()\'s report: unpoisoned, or why not, by `outcome`',
  'mce-logged': '"mce: [Hardware Error]: Machine check events logged" (once per rate-limit interval)',
  'mce-record': 'a machine check record\'s first line: "CPU N: Machine Check[ Exception]: MCGSTATUS Bank N: STATUS" (`exception`: raised as #MC, not found by polling)',
  'mce-rip': 'a machine check record\'s "RIP[ !INEXACT!] CS:<IP> {SYMBOL}" line',
  'mce-registers': 'a machine check record\'s "TSC … [ADDR …] [MISC …] [PPIN …] [SYND …] [IPID …]" line',
  'mce-processor': 'a machine check record\'s "PROCESSOR VENDOR:CPUID TIME … SOCKET … APIC … microcode …" line',
  'mce-mcelog-hint': '"Run the above through \'mcelog --ascii\'": the end of a machine check record dump',
  'mce-severity': '"mce: [Hardware Error]: Machine check: MESSAGE" (or "Fake kernel panic: MESSAGE"): the grading that decided a panic; `grade` is its severities[] entry when known',
  'mce-cpus-not-responding': '"mce: CPUs not responding to MCE broadcast (may include false positives): CPUS"',
  'mce-not-recovered': '"mce: Memory error not recovered"',
  'mce-user-access-poison': '"Uncorrected hardware memory error in user-access at ADDR" (`user-access`) / "Kernel accessed poison in user space at ADDR" (`kernel-access`)',
  'machine-check-panic': '"Kernel panic - not syncing: MESSAGE" with one of mce_panic()\'s reasons ("Fatal machine check", "Timeout: Not all CPUs entered broadcast exception handler"…)',
  'memory-failure-panic': '"Kernel panic - not syncing: Memory failure on page PFN" (vm.memory_failure_recovery=0)',
  'memory-offline-failed': '"memory offlining [mem START-END] failed due to REASON" (pr_debug: only with dynamic debug on for mm/memory_hotplug.c, and only in kmsg)',
  'memory-online-failed': '"online_pages [mem START-END] failed"',
  'memory-offlined': '"Offlined Pages N" (pr_debug, as memory-offline-failed)',
  'page-migration-failed': '"migrating pfn PFN failed ret:N": do_migrate_range() while offlining; a page dump follows',
  'page-dumped': '"page dumped because: REASON", the last line of a dump_page() (the harness also reads the dump as a crash report)',
  'zonelists-built': '"Built N zonelists, mobility grouping on|off.  Total pages: N": at boot, and when memory (un)plug changes which zones are populated',
  'hotplug-memmap-waste': '"Memory hotplug will waste N pages in each memory block" (memmap_on_memory; 6.12 only)',
  'memory-block-size': '"x86/mm: Memory block size: NMB", once at boot',
  'memory-block-add-failed': '"Kernel panic - not syncing: FUNC() failed to add memory block: ERROR"',
  'acpi-memory-hotplug-error': 'an ACPI memory device hot-add error: "add_memory failed" (`add-memory-failed`) or "acpi_memory_enable_device() error" (`enable-device-failed`); a hot-add that works prints nothing',
  'ras-cec-soft-offline': '"RAS: Soft-offlining pfn: PFN": the corrected-errors collector gave up on a page (6.12 only: 6.1.0-56 does not build it in)',
  'drop-caches': '"COMM (PID): drop_caches: MODE" after a write to /proc/sys/vm/drop_caches',
  'taint-lock-debugging-off': '"Disabling lock debugging due to kernel taint": the kernel\'s first taint (e.g. `M` after a machine check)',
};

/** What a field of each kind takes in a suite, as parseFieldValue accepts it (event-matcher.ts). */
export const FIELD_KIND_DOCS: { readonly [K in Exclude<FieldKind, object>]: string } & { readonly oneOf: string } = {
  pfn: 'a PFN in hex (`0x60acc`) or `$t0` (the target\'s PFN)',
  hex: 'a hex value (`0x7f12000`) or `$t0.vaddr` / `$t0.phys`',
  number: 'a whole number, or `$helper.pid`',
  string: 'the exact text, `{ regex: \'...\' }`, or `$helper.comm`',
  boolean: '`true` or `false`',
  oneOf: 'one of the values listed',
};

export const EVENT_TYPES = Object.keys(EVENT_FIELDS) as KernelEventType[];

export function isEventType(name: string): name is KernelEventType {
  return Object.hasOwn(EVENT_FIELDS, name);
}

export function eventFields(type: KernelEventType): Readonly<Record<string, FieldKind>> {
  return EVENT_FIELDS[type] as Readonly<Record<string, FieldKind>>;
}
