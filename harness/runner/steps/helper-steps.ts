import { HelperError } from '../../guest-helper/helper-session.ts';
import type { SigbusInfo } from '../../guest-helper/helper-messages.ts';
import { prepareTarget, type PreparedTarget } from '../../inject/targets.ts';
import { describePlacement } from '../../inject/placement-spec.ts';
import { DEFAULT_FILL_SEED, type StepAction } from '../../suite/index.ts';
import type { CaseContext } from '../case-context.ts';
import type { StepResult } from '../step-result.ts';

type HelperAction = Extract<StepAction, { kind: 'target' | 'fill' | 'verify' | 'access' | 'fsync' | 'msync' | 'release' | 'mceKill' }>;

export function targetOf(context: CaseContext, name: string): PreparedTarget {
  const target = context.targets.get(name);
  if (!target) throw new Error(`target ${name} has not been prepared`);
  return target;
}

function ownerName(context: CaseContext, name: string): string {
  const target = targetOf(context, name);
  if (!target.page.owner) throw new Error(`target ${name} (${target.page.kind}) is not mapped by the helper`);
  return target.page.owner.name;
}

function recordSigbus(context: CaseContext, sigbus: SigbusInfo | null | undefined, step: number): void {
  if (sigbus) context.sigbus.push({ ...sigbus, async: false, step });
}

/** Steps the guest helper carries out: target preparation and the owner's own actions. */
export async function runHelperStep(context: CaseContext, action: HelperAction, stepIndex: number): Promise<StepResult> {
  const { helper } = context;
  switch (action.kind) {
    case 'target': {
      const target = await prepareTarget(context.guest, helper, action.targetKind, action.name, action.placement);
      context.targets.set(action.name, target);
      // prepareTarget leaves owned pages holding its own seed's pattern.
      if (target.fillSeed !== null) context.fillSeeds.set(action.name, target.fillSeed);
      const vaddr = target.page.owner ? ` at 0x${target.page.owner.vaddr.toString(16)}` : '';
      const placed = action.placement ? ` ${describePlacement(action.placement)}` : '';
      return { ok: true, summary: `prepared ${action.targetKind} page pfn 0x${target.page.pfn.toString(16)}${vaddr}${placed}` };
    }
    case 'fill':
      await helper.fill(ownerName(context, action.target), action.seed);
      context.fillSeeds.set(action.target, action.seed);
      return { ok: true, summary: `filled ${action.target} with seed ${action.seed}` };
    case 'verify': {
      const seed = action.seed ?? context.fillSeeds.get(action.target) ?? DEFAULT_FILL_SEED;
      const reply = await helper.verify(ownerName(context, action.target), seed);
      recordSigbus(context, reply.sigbus, stepIndex);
      return { ok: true, intact: reply.intact, sigbus: reply.sigbus, summary: `the data read back ${reply.intact ? 'intact' : `corrupt (first mismatch at ${reply.firstMismatch ?? '?'})`}${reply.sigbus ? ` with SIGBUS ${reply.sigbus.codeName}` : ''}` };
    }
    case 'access': {
      const reply = await helper.access(ownerName(context, action.target), action.index, action.mode);
      recordSigbus(context, reply.sigbus, stepIndex);
      return { ok: reply.outcome === 'ok', sigbus: reply.sigbus, summary: reply.sigbus ? `the ${action.mode} got SIGBUS ${reply.sigbus.codeName} at ${reply.sigbus.addr}` : `the ${action.mode} completed without a signal` };
    }
    case 'fsync':
    case 'msync': {
      const reply = await (action.kind === 'fsync' ? helper.fsync(ownerName(context, action.target)) : helper.msync(ownerName(context, action.target)));
      recordSigbus(context, reply.sigbus, stepIndex);
      const ok = reply.ok && reply.ret === 0;
      return { ok, errno: ok ? null : (reply.errnoName ?? null), sigbus: reply.sigbus ?? null, summary: ok ? `${action.kind} returned 0` : `${action.kind} failed with ${reply.errnoName ?? reply.error ?? `ret ${reply.ret}`}` };
    }
    case 'release':
      await helper.release(ownerName(context, action.target));
      return { ok: true, summary: `released ${action.target}` };
    case 'mceKill':
      await helper.setMceKill(action.policy);
      return { ok: true, summary: `PR_MCE_KILL ${action.policy}` };
  }
}

export function isHelperError(error: unknown): boolean {
  return error instanceof HelperError;
}
