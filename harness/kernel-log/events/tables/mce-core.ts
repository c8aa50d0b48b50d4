import type { EventPattern, EventPatternTable } from '../event-pattern.ts';
import { decimal } from '../field-values.ts';
import type { MceRegistersEvent, MceSeverityEvent } from '../kernel-event.ts';
import { normaliseHex } from '../pfn.ts';
import { mceSeverityGrade } from './mce-severity.ts';

const BOTH = ['6.1', '6.12'] as const;

/** mce_panic()'s messages; panic() prints them as "Kernel panic - not syncing: %s". */
export const MCE_PANIC_MESSAGES: readonly string[] = [
  'Fatal machine check',
  'Fatal machine check on current CPU',
  'Fatal local machine check',
  'Fatal machine check from unknown source',
  'Timeout: Not all CPUs entered broadcast exception handler',
  'Timeout: Monarch CPU unable to finish machine check processing',
  'Timeout: Monarch CPU did not finish machine check processing',
  'Timeout: Subject CPUs unable to finish machine check processing',
  'Panicing machine check CPU died',
  'Consecutive machine checks to different user pages',
  'Too many consecutive machine checks while accessing user data',
];

function severity(format: string, fake: boolean): EventPattern {
  return {
    format,
    seenIn: BOTH,
    fields: ['message'],
    build: (f) => {
      const message = f['message'] ?? '';
      const event: MceSeverityEvent = { type: 'mce-severity', message, fake };
      const grade = mceSeverityGrade(message);
      if (grade !== undefined) event.grade = grade;
      return event;
    },
  };
}

// __print_mce() continues the "TSC" line with pr_cont() pieces, each only when non-zero.
const REGISTERS = /^mce: \[Hardware Error\]: TSC (?<tsc>[0-9a-f]+) ?(?:ADDR (?<addr>[0-9a-f]+) ?)?(?:MISC (?<misc>[0-9a-f]+) ?)?(?:PPIN (?<ppin>[0-9a-f]+) ?)?(?:SYND (?<synd>[0-9a-f]+) ?)?(?:IPID (?<ipid>[0-9a-f]+) ?)?\s*$/;
// "RIP%s %02x:<%016Lx> " then pr_cont("{%pS}") when the CS is the kernel's.
const RIP = /^mce: \[Hardware Error\]: RIP(?<inexact> !INEXACT!)? (?<cs>[0-9a-f]+):<(?<ip>[0-9a-f]+)> ?(?:\{(?<symbol>[^}]*)\})?\s*$/;

/** pr_fmt is "mce: "; HW_ERR adds "[Hardware Error]: ". */
export const mceCoreTable: EventPatternTable = {
  source: 'arch/x86/kernel/cpu/mce/core.c',
  patterns: [
    { format: 'mce: [Hardware Error]: Machine check events logged', seenIn: BOTH, fields: [], build: () => ({ type: 'mce-logged' }) },
    {
      format: 'mce: [Hardware Error]: CPU %d: Machine Check%s: %Lx Bank %d: %016Lx',
      seenIn: BOTH,
      fields: ['cpu', 'exception', 'mcgStatus', 'bank', 'status'],
      build: (f) => ({
        type: 'mce-record',
        cpu: decimal(f['cpu']) ?? -1,
        exception: (f['exception'] ?? '').trim() === 'Exception',
        mcgStatus: normaliseHex(f['mcgStatus'] ?? ''),
        bank: decimal(f['bank']) ?? -1,
        status: normaliseHex(f['status'] ?? ''),
      }),
    },
    {
      format: 'mce: [Hardware Error]: RIP%s %02x:<%016Lx> {%pS}',
      regex: RIP,
      seenIn: BOTH,
      fields: [],
      build: (f) => {
        const event = { type: 'mce-rip' as const, inexact: f['inexact'] !== undefined, cs: normaliseHex(f['cs'] ?? ''), ip: normaliseHex(f['ip'] ?? '') };
        return f['symbol'] === undefined ? event : { ...event, symbol: f['symbol'] };
      },
    },
    {
      format: 'mce: [Hardware Error]: TSC %llx [ADDR %llx ][MISC %llx ][PPIN %llx ][SYND %llx ][IPID %llx ]',
      regex: REGISTERS,
      seenIn: BOTH,
      fields: [],
      build: (f) => {
        const event: MceRegistersEvent = { type: 'mce-registers', tsc: normaliseHex(f['tsc'] ?? '') };
        for (const key of ['addr', 'misc', 'ppin', 'synd', 'ipid'] as const) {
          const value = f[key];
          if (value !== undefined) event[key] = normaliseHex(value);
        }
        return event;
      },
    },
    {
      format: 'mce: [Hardware Error]: PROCESSOR %u:%x TIME %llu SOCKET %u APIC %x microcode %x',
      seenIn: BOTH,
      fields: ['vendor', 'cpuid', 'time', 'socket', 'apic', 'microcode'],
      build: (f) => ({
        type: 'mce-processor',
        vendor: decimal(f['vendor']) ?? -1,
        cpuid: normaliseHex(f['cpuid'] ?? ''),
        time: decimal(f['time']) ?? -1,
        socket: decimal(f['socket']) ?? -1,
        apic: normaliseHex(f['apic'] ?? ''),
        microcode: normaliseHex(f['microcode'] ?? ''),
      }),
    },
    { format: "mce: [Hardware Error]: Run the above through 'mcelog --ascii'", seenIn: BOTH, fields: [], build: () => ({ type: 'mce-mcelog-hint' }) },
    severity('mce: [Hardware Error]: Machine check: %s', false),
    severity('mce: [Hardware Error]: Fake kernel panic: %s', true),
    {
      format: 'mce: CPUs not responding to MCE broadcast (may include false positives): %*pbl',
      seenIn: BOTH,
      fields: ['cpus'],
      build: (f) => ({ type: 'mce-cpus-not-responding', cpus: f['cpus'] ?? '' }),
    },
    { format: 'mce: Memory error not recovered', seenIn: BOTH, fields: [], build: () => ({ type: 'mce-not-recovered' }) },
    {
      format: 'mce: Uncorrected hardware memory error in user-access at %llx',
      seenIn: BOTH,
      fields: ['addr'],
      build: (f) => ({ type: 'mce-user-access-poison', context: 'user-access', addr: normaliseHex(f['addr'] ?? '') }),
    },
    {
      format: 'mce: Kernel accessed poison in user space at %llx',
      seenIn: BOTH,
      fields: ['addr'],
      build: (f) => ({ type: 'mce-user-access-poison', context: 'kernel-access', addr: normaliseHex(f['addr'] ?? '') }),
    },
    {
      format: 'Kernel panic - not syncing: %s',
      seenIn: BOTH,
      fields: ['message'],
      build: (f) => {
        const message = f['message'] ?? '';
        return MCE_PANIC_MESSAGES.includes(message) ? { type: 'machine-check-panic', message } : null;
      },
    },
  ],
};
