import type { HelperSession } from '../guest-helper/helper-session.ts';
import type { SigbusInfo } from '../guest-helper/helper-messages.ts';
import type { InjectionRecord } from '../inject/injection.ts';
import type { PreparedTarget, ReservedTarget } from '../inject/targets.ts';
import type { KmsgMark, KmsgReader } from '../kernel-log/reader/kmsg-reader.ts';
import type { SnapshotOptions, StateSnapshot } from '../state/state-snapshot.ts';
import type { KernelFacts, RefValues, SuiteCase } from '../suite/index.ts';
import type { Guest } from '../vm/guest.ts';
import { blockOfPfn } from '../inject/memory-block.ts';
import type { StartedProgram } from './steps/program-step.ts';
import type { CaseCgroup } from './steps/cgroup-step.ts';

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
  /** Programs started by `program` steps, by name (background ones until the case's end). */
  programs?: Map<string, StartedProgram>;
  /** `$t0@ID`: the PFN of target t0 right after step ID, keyed `t0@ID` (read only where the case uses it). */
  pfnAfterStep?: Map<string, bigint>;
  /** The guest's memory block size, once a `.block` reference needed it. */
  blockSizeBytes?: bigint;
  /** Groups the case's `cgroup` steps made so far (steps/cgroup-step.ts), removed at the end on a guest that lives on. */
  cgroups?: Map<string, CaseCgroup>;
}

/**
 * The references known without asking the guest: targets as prepared (or migrated), the PFNs
 * read after steps, the helper and the programs. `$t0.now` needs a read: case-refs.ts.
 */
export function refValuesOf(context: Pick<CaseContext, 'targets' | 'helper' | 'programs' | 'pfnAfterStep' | 'blockSizeBytes'>): RefValues {
  const blockSize = context.blockSizeBytes;
  return {
    target(name) {
      const target = context.targets.get(name);
      if (!target) return undefined;
      return { pfn: target.page.pfn, ...(target.page.owner ? { vaddr: target.page.owner.vaddr } : {}) };
    },
    helper: { pid: context.helper.pid, comm: HELPER_COMM },
    after: (name, step) => context.pfnAfterStep?.get(`${name}@${step}`),
    program(name) {
      const program = context.programs?.get(name);
      return program ? { pid: program.pid, comm: program.comm } : undefined;
    },
    ...(blockSize ? { block: (pfn: bigint) => blockOfPfn(pfn, Number(blockSize)) } : {}),
  };
}

/** The helper's comm as the kernel prints it (memharness-helper, cut to 15 characters). */
export const HELPER_COMM = 'memharness-help';

export function guestRunner(guest: Guest) {
  return (command: string) => guest.exec(command, { timeoutMs: 60_000 });
}

export function targetPfns(context: Pick<CaseContext, 'targets'>): bigint[] {
  return [...context.targets.values()].map((target) => target.page.pfn);
}

/**
 * What a snapshot of this case reads: the targets' pages so far, the files its `file:`
 * expectations name, and the cgroups its `cgroup` steps make (whether made yet or not: a
 * group not there yet is simply absent), each with the controllers the case enables for it.
 */
export function snapshotOptions(context: Pick<CaseContext, 'targets' | 'testCase'>): SnapshotOptions {
  const files = new Set<string>();
  for (const expectation of context.testCase.expectations) {
    if (expectation.check.kind === 'state' && expectation.check.state.section === 'file') files.add(expectation.check.state.file);
  }
  const cgroups = new Map<string, Set<string>>();
  for (const step of context.testCase.steps) {
    if (step.action.kind !== 'cgroup') continue;
    const controllers = cgroups.get(step.action.name) ?? new Set<string>();
    for (const controller of step.action.controllers) controllers.add(controller);
    cgroups.set(step.action.name, controllers);
  }
  return {
    pfns: targetPfns(context),
    files: [...files],
    cgroups: [...cgroups].map(([name, controllers]) => ({ name, controllers: [...controllers] })),
  };
}
