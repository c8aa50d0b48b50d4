import type { LocatedEvent } from '../../kernel-log/events/parse-event.ts';
import { valueMatches, type RefValues, type SigbusMatcher } from '../../suite/index.ts';

/**
 * A memory-error SIGBUS the kernel says it sent a program. A program cannot tell the harness
 * its siginfo, so this is read from the kernel's log lines naming the program's process (or
 * a thread or child of it: the same comm, a pid from the program's on):
 *
 * - `mce-kill`, "MCE: Killing NAME:PID due to hardware memory corruption fault at ADDR"
 *   (arch/x86/mm/fault.c: the program touched a poisoned page): the kernel then forces
 *   `BUS_MCEERR_AR` with si_addr ADDR, synchronously;
 * - `sigbus-sent`, "Memory failure: PFN: Sending SIGBUS to NAME:PID ..." (mm/memory-failure.c
 *   kill_proc(): memory_failure() signalling a page's owners): `BUS_MCEERR_AO`, or
 *   `BUS_MCEERR_AR` when the thread itself was in memory_failure() (its own madvise on 6.4
 *   and later, an SRAR on its CPU); the line does not say which, nor the address, so code,
 *   addr and async are not known.
 */
export interface ProgramSigbus {
  /** si_code, when the kernel's line tells it. */
  codeName: 'BUS_MCEERR_AR' | null;
  /** si_addr (hex), when the line tells it. */
  addr: string | null;
  /** Delivered outside the access that caused it (known only from mce-kill: false). */
  async: boolean | null;
  source: 'mce-kill' | 'sigbus-sent';
  /** The pid the line names (a thread's id for a thread). */
  pid: number;
  /** The kernel's line. */
  line: string;
}

/** The comm the kernel prints for a process started from this file name (TASK_COMM_LEN 16: 15 characters). */
export function commOf(fileName: string): string {
  return fileName.slice(0, 15);
}

/** The SIGBUS lines of the kernel log that name the program's process or its threads, in order. */
export function programSigbusFrom(events: readonly LocatedEvent[], program: { pid: number; comm: string }): ProgramSigbus[] {
  const out: ProgramSigbus[] = [];
  for (const { event, record } of events) {
    if (event.type !== 'mce-kill' && event.type !== 'sigbus-sent') continue;
    if (event.comm !== program.comm || event.pid < program.pid) continue;
    if (event.type === 'mce-kill') out.push({ codeName: 'BUS_MCEERR_AR', addr: event.addr, async: false, source: 'mce-kill', pid: event.pid, line: record.text });
    else out.push({ codeName: null, addr: null, async: null, source: 'sigbus-sent', pid: event.pid, line: record.text });
  }
  return out;
}

/** Whether one of the program's SIGBUS lines matches: a part the line does not tell never matches a part the matcher names. */
export function programSigbusMatches(matcher: SigbusMatcher, got: ProgramSigbus, refs: RefValues): boolean {
  if (matcher.code !== null && got.codeName !== matcher.code) return false;
  if (matcher.lsb !== null) return false;
  if (matcher.async !== null && got.async !== matcher.async) return false;
  if (matcher.addr !== null && (got.addr === null || !valueMatches(matcher.addr, got.addr, refs))) return false;
  return true;
}

export function describeProgramSigbus(got: ProgramSigbus): string {
  return got.source === 'mce-kill' ? `${got.codeName} at ${got.addr} (mce-kill, pid ${got.pid})` : `a SIGBUS from memory_failure() (sigbus-sent, pid ${got.pid}; code and address not logged)`;
}
