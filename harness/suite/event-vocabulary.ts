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

export const EVENT_TYPES = Object.keys(EVENT_FIELDS) as KernelEventType[];

export function isEventType(name: string): name is KernelEventType {
  return Object.hasOwn(EVENT_FIELDS, name);
}

export function eventFields(type: KernelEventType): Readonly<Record<string, FieldKind>> {
  return EVENT_FIELDS[type] as Readonly<Record<string, FieldKind>>;
}
