import type { CrashKind } from './oops-table.ts';
import type { TaintState } from './taint.ts';

/** One kernel crash report (oops, warning, panic...) found in a log. */
export interface CrashReport {
  kind: CrashKind;
  /** Human title, syzkaller-style: "WARNING in foo", "kernel panic: sysrq triggered crash". */
  title: string;
  /** The title with addresses, numbers, offsets... made generic: the dedup key. */
  normalisedTitle: string;
  /** Index, in the records that were parsed, of the report's first line (context included). */
  firstRecordIndex: number;
  /** Index of its last line. */
  lastRecordIndex: number;
  /** The report's lines, without timestamps, joined with "\n". */
  text: string;
  /** The guilty function, when the report has one. */
  guiltyFunction?: string;
  /** Taint shown in the report ("Not tainted" / "Tainted: G   M"), null when it shows none. */
  taint: TaintState | null;
  /** True when the report lacks what its kind must have (a stack trace), or was cut off. */
  corrupted?: boolean;
  /** Why it is corrupted. */
  corruptedReason?: string;
  /** The full log this report came from, so a reader can see the context. */
  logPath?: string;
}
