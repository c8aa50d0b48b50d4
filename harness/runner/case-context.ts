import type { HelperSession } from '../guest-helper/helper-session.ts';
import type { SigbusInfo } from '../guest-helper/helper-messages.ts';
import type { InjectionRecord } from '../inject/injection.ts';
import type { PreparedTarget, ReservedTarget } from '../inject/targets.ts';
import type { KmsgMark, KmsgReader } from '../kernel-log/reader/kmsg-reader.ts';
import type { StateSnapshot } from '../state/state-snapshot.ts';
import type { KernelFacts, RefValues, SuiteCase } from '../suite/index.ts';
import type { Guest } from '../vm/guest.ts';

/** A SIGBUS the helper got: in a step's reply (async false) or as an early-kill event (async true). */
export interface ObservedSigbus extends SigbusInfo {
  async: boolean;
  /** Index of the step whose reply carried it; null for asynchronous ones. */
  step: number | null;
}

/** Everything the step executors share while one case runs. */
export interface CaseContext {
  guest: Guest;
  testCase: SuiteCase;
  facts: KernelFacts;
  helper: HelperSession;
  kmsg: KmsgReader;
  /** The kernel-log mark written when the case started. */
  startMark: KmsgMark;
  targets: Map<string, PreparedTarget>;
  /** Targets set up with `fault: false` and not touched yet: mapped, no page (so not in `targets`). */
  reserved?: Map<string, ReservedTarget>;
  /** Last fill seed per target (verify checks against it). */
  fillSeeds: Map<string, number>;
  sigbus: ObservedSigbus[];
  injections: InjectionRecord[];
  before: StateSnapshot | null;
  signal?: AbortSignal | undefined;
}

export function refValuesOf(context: Pick<CaseContext, 'targets' | 'helper'>): RefValues {
  return {
    target(name) {
      const target = context.targets.get(name);
      if (!target) return undefined;
      return { pfn: target.page.pfn, ...(target.page.owner ? { vaddr: target.page.owner.vaddr } : {}) };
    },
    helper: { pid: context.helper.pid, comm: 'memharness-help' },
  };
}

export function guestRunner(guest: Guest) {
  return (command: string) => guest.exec(command, { timeoutMs: 60_000 });
}

export function targetPfns(context: Pick<CaseContext, 'targets'>): bigint[] {
  return [...context.targets.values()].map((target) => target.page.pfn);
}
