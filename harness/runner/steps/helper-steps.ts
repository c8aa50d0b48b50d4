import { HelperError } from '../../guest-helper/helper-session.ts';
import type { SigbusInfo } from '../../guest-helper/helper-messages.ts';
import { setUpTarget, type PreparedTarget, type ReservedTarget } from '../../inject/targets.ts';
import { describePlacement } from '../../inject/placement-spec.ts';
import { describeKnobs } from '../../inject/target-knobs.ts';
import { DEFAULT_FILL_SEED, type StepAction } from '../../suite/index.ts';
import type { CaseContext } from '../case-context.ts';
import type { StepResult } from '../step-result.ts';

type HelperAction = Extract<StepAction, { kind: 'target' | 'fill' | 'verify' | 'access' | 'fsync' | 'msync' | 'release' | 'mceKill' }>;

const hex = (n: bigint): string => `0x${n.toString(16)}`;

export function targetOf(context: CaseContext, name: string): PreparedTarget {
  const target = context.targets.get(name);
  if (!target && context.reserved?.has(name)) {
    throw new Error(`target ${name} is only reserved (fault: false): it has no page, so no PFN, until an access, fill or verify step faults it in`);
  }
  if (!target) throw new Error(`target ${name} has not been prepared`);
  return target;
}

/** The helper's mapping of a target, prepared or only reserved. */
function ownerOf(context: CaseContext, name: string): NonNullable<PreparedTarget['page']['owner']> {
  const reserved = context.reserved?.get(name);
  if (reserved) return reserved.owner;
  const target = targetOf(context, name);
  if (!target.page.owner) throw new Error(`target ${name} (${target.page.kind}) is not mapped by the helper`);
  return target.page.owner;
}

function ownerName(context: CaseContext, name: string): string {
  return ownerOf(context, name).name;
}

function recordSigbus(context: CaseContext, sigbus: SigbusInfo | null | undefined, step: number): void {
  if (sigbus) context.sigbus.push({ ...sigbus, async: false, step });
}

/**
 * After a step touched a reserved target: the page it faulted in becomes the target's, and
 * `$t0` its PFN from here on. Returns the words for the summary ('' when still not present,
 * or when the target was not reserved).
 */
async function faultedIn(context: CaseContext, name: string): Promise<string> {
  const reserved = context.reserved?.get(name);
  if (!reserved) return '';
  const target = await context.helper.pages(reserved.owner.name);
  const page = target.pages[reserved.owner.index];
  if (!page?.pfn) return `; ${name} is still not faulted in (no PFN)`;
  const prepared: PreparedTarget = { page: { kind: reserved.kind, pfn: BigInt(page.pfn), owner: reserved.owner }, helperTarget: target, fillSeed: null };
  context.reserved!.delete(name);
  context.targets.set(name, prepared);
  return `; faulted ${name} in: pfn ${hex(prepared.page.pfn)}, now $${name}`;
}

function describeReserved(reserved: ReservedTarget): string {
  return `at ${hex(reserved.owner.vaddr)}: no page and no PFN until an access, fill or verify step touches it`;
}

/** Steps the guest helper carries out: target preparation and the owner's own actions. */
export async function runHelperStep(context: CaseContext, action: HelperAction, stepIndex: number): Promise<StepResult> {
  const { helper } = context;
  switch (action.kind) {
    case 'target': {
      const setUp = await setUpTarget(context.guest, helper, { kind: action.targetKind, name: action.name, placement: action.placement, knobs: action.knobs });
      const knobs = describeKnobs(action.knobs);
      const placed = action.placement ? ` ${describePlacement(action.placement)}` : '';
      const notes = setUp.notes.map((note) => `; ${note}`).join('');
      if (setUp.reserved) {
        (context.reserved ??= new Map()).set(action.name, setUp.reserved);
        return { ok: true, summary: `reserved ${action.targetKind} page${knobs ? ` (${knobs})` : ''} ${describeReserved(setUp.reserved)}${notes}` };
      }
      const target = setUp.prepared!;
      context.targets.set(action.name, target);
      // Owned pages are left holding PREPARED_FILL_SEED's pattern.
      if (target.fillSeed !== null) context.fillSeeds.set(action.name, target.fillSeed);
      const vaddr = target.page.owner ? ` at ${hex(target.page.owner.vaddr)}` : '';
      return { ok: true, summary: `prepared ${action.targetKind} page pfn ${hex(target.page.pfn)}${vaddr}${knobs ? ` (${knobs})` : ''}${placed}${notes}` };
    }
    case 'fill': {
      await helper.fill(ownerName(context, action.target), action.seed);
      context.fillSeeds.set(action.target, action.seed);
      return { ok: true, summary: `filled ${action.target} with seed ${action.seed}${await faultedIn(context, action.target)}` };
    }
    case 'verify': {
      const seed = action.seed ?? context.fillSeeds.get(action.target) ?? DEFAULT_FILL_SEED;
      const reply = await helper.verify(ownerName(context, action.target), seed);
      recordSigbus(context, reply.sigbus, stepIndex);
      const faulted = await faultedIn(context, action.target);
      return { ok: true, intact: reply.intact, sigbus: reply.sigbus, summary: `the data read back ${reply.intact ? 'intact' : `corrupt (first mismatch at ${reply.firstMismatch ?? '?'})`}${reply.sigbus ? ` with SIGBUS ${reply.sigbus.codeName}` : ''}${faulted}` };
    }
    case 'access': {
      const owner = ownerOf(context, action.target);
      const reply = await helper.access(owner.name, action.index ?? owner.index, action.mode);
      recordSigbus(context, reply.sigbus, stepIndex);
      const faulted = await faultedIn(context, action.target);
      return { ok: reply.outcome === 'ok', sigbus: reply.sigbus, summary: `${reply.sigbus ? `the ${action.mode} got SIGBUS ${reply.sigbus.codeName} at ${reply.sigbus.addr}` : `the ${action.mode} completed without a signal`}${faulted}` };
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
      context.reserved?.delete(action.target);
      return { ok: true, summary: `released ${action.target}` };
    case 'mceKill':
      await helper.setMceKill(action.policy);
      return { ok: true, summary: `PR_MCE_KILL ${action.policy}` };
  }
}

export function isHelperError(error: unknown): boolean {
  return error instanceof HelperError;
}
