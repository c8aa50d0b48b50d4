import type { SigbusInfo } from '../guest-helper/helper-messages.ts';
import type { StateDiff } from '../state/state-diff.ts';
import type { InjectionRecord } from './injection.ts';

/** What the page's owner experienced after the injection. */
export interface ProcessOutcome {
  /** Reading the page again: ok, or the SIGBUS it raised. Absent for pages nobody maps. */
  access?: { outcome: 'ok' | 'sigbus'; sigbus: SigbusInfo | null };
  /** fsync of a file target after the injection (EIO expected after losing a dirty page). */
  fsync?: { ret: number; errno: string | null };
  /** The fill pattern checked after the injection (soft offline must keep the data). */
  dataIntact?: boolean | null;
  /** The owner's PFN for the page before and after (soft offline migrates it). */
  pfnBefore?: string | null;
  pfnAfter?: string | null;
  pfnMoved?: boolean | null;
  /** Signals that arrived outside any request (early kill: BUS_MCEERR_AO). */
  asyncSignals: SigbusInfo[];
  /** Set when the kernel killed the helper (e.g. "BUS" or "KILL"). */
  killedBy?: string | null;
}

export interface ReportedEvent {
  type: string;
  text: string;
  seq?: number;
  fields: Record<string, unknown>;
}

export interface ReportedCrash {
  title: string;
  kind: string;
  text: string;
  /** Why the report is corrupted (no stack trace, cut off), when it is. */
  corrupted?: string;
}

/** Everything `memharness inject` learned from one injection. */
export interface InjectionReport {
  kernel: string;
  accel: string;
  injection: InjectionRecord;
  outcome: ProcessOutcome;
  events: ReportedEvent[];
  stateDiff: StateDiff | null;
  crashes: ReportedCrash[];
  taint: { value: number; letters: string } | null;
  /** Kernel log records lost between the marks (ring buffer overflow): events may be missing. */
  logLosses: number;
  guestAlive: boolean;
  consoleLog: string;
}
