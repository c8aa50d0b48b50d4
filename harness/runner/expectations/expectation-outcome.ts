import type { ConversationEnd } from '../../ssh/guest-ssh.ts';
import type { CrashReport } from '../../kernel-log/crash/crash-report.ts';
import type { LocatedEvent } from '../../kernel-log/events/parse-event.ts';
import type { StateDiff } from '../../state/state-diff.ts';
import type { StateSnapshot } from '../../state/state-snapshot.ts';
import type { RefValues } from '../../suite/index.ts';
import type { ObservedSigbus } from '../case-context.ts';

/** The result of one expectation item. */
export type ExpectationOutcome =
  | { status: 'passed'; actual?: unknown }
  | { status: 'failed'; message: string; expected: unknown; actual: unknown }
  /** The kernel does not have the value (per-node counters on 6.1). */
  | { status: 'not-available'; message: string };

/** What a target looked like after the steps (read by the runner while the helper lives). */
export interface TargetAfter {
  /** PFN when prepared, and now (null: not present / helper gone). */
  pfnBefore: bigint;
  pfnAfter: bigint | null;
  /** helper.verify against the last fill seed; null when it could not be read. */
  intact: boolean | null;
  /** Why the probes could not run, if they could not. */
  problem?: string;
}

/** Everything expectations are judged on, gathered once the steps ran. Plain data: unit-testable. */
export interface CaseObservations {
  /** Kernel events of the case (after its start mark; the runner's marks removed). */
  events: readonly LocatedEvent[];
  before: StateSnapshot | null;
  after: StateSnapshot | null;
  stateDiff: StateDiff | null;
  sigbus: readonly ObservedSigbus[];
  /** null: the helper is still running. */
  helperEnd: ConversationEnd | null;
  targets: ReadonlyMap<string, TargetAfter>;
  crashes: readonly CrashReport[];
  /** Kernel log records the host never saw in the case's window: counts of events are then not known. */
  lostRecords: number;
  refs: RefValues;
  /** Memory block holding a target's page (for memoryBlocks.$t0 paths). */
  blockOfTarget(name: string): string | undefined;
  /** Why the state diff is missing (guest died, snapshot failed). */
  stateProblem?: string;
}

export const passed = (actual?: unknown): ExpectationOutcome => ({ status: 'passed', ...(actual === undefined ? {} : { actual }) });
export const failed = (message: string, expected: unknown, actual: unknown): ExpectationOutcome => ({ status: 'failed', message, expected, actual });
export const notAvailable = (message: string): ExpectationOutcome => ({ status: 'not-available', message });
