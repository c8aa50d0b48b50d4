import { setCorruptFilter } from '../../inject/debugfs-hwpoison.ts';
import { describeTarget, consoleNow, pfnHex, type InjectionMethod, type InjectionRecord, type PageTarget } from '../../inject/injection.ts';
import { METHOD_TRAITS } from '../../inject/method-traits.ts';
import { pfnNow } from '../case-refs.ts';
import { INJECTORS } from '../../inject/injectors.ts';
import { takeSnapshot } from '../../state/state-snapshot.ts';
import type { StepAction } from '../../suite/index.ts';
import { guestRunner, snapshotOptions, type CaseContext } from '../case-context.ts';
import type { StepResult } from '../step-result.ts';
import { targetOf } from './helper-steps.ts';

type InjectAction = Extract<StepAction, { kind: 'inject' | 'corruptFilter' }>;

/** Takes the "before" snapshot if no earlier step did (the default: just before the first inject). */
export async function ensureBeforeSnapshot(context: CaseContext): Promise<void> {
  context.before ??= await takeSnapshot(guestRunner(context.guest), snapshotOptions(context));
}

/**
 * The page an injection acts on: for a method that takes the owner's address (madvise), the
 * page the helper's mapping has right now; for the others (a PFN, a physical address), the
 * target's PFN.
 */
export async function pageHit(context: CaseContext, method: InjectionMethod, name: string): Promise<PageTarget> {
  const page = targetOf(context, name).page;
  if (METHOD_TRAITS[method].takes !== 'owner-vaddr' || !page.owner) return page;
  const now = await pfnNow(context, name);
  return now === undefined || now === page.pfn ? page : { ...page, pfn: now };
}

/** Injections and the hwpoison knobs around them (memory blocks: topology-steps.ts). */
export async function runInjectStep(context: CaseContext, action: InjectAction, stepIndex: number): Promise<StepResult> {
  const { guest } = context;
  switch (action.kind) {
    case 'inject': {
      const target = targetOf(context, action.target);
      const injector = INJECTORS[action.method];
      const refused = injector.refuse(target.page);
      if (refused) throw new Error(refused);
      await ensureBeforeSnapshot(context);
      // madvise acts on the page mapped at the helper's address now, which a soft offline or a
      // migration may have changed since the target was prepared: read it, so the record says
      // the PFN really hit (and $t0 stays the prepared one).
      const page = await pageHit(context, action.method, action.target);
      let record: InjectionRecord;
      try {
        record = await injector.inject({ guest }, page);
        if (page.pfn !== target.page.pfn) record.target.preparedPfn = pfnHex(target.page.pfn);
      } catch (error) {
        if (!(await guest.diesWithin(5_000))) throw error;
        record = { method: action.method, target: describeTarget(page), action: injector.description, startedAtMs: consoleNow(guest), endedAtMs: consoleNow(guest), result: { ok: false, message: 'the guest died during the injection' } };
        context.injections.push(record);
        throw error;
      }
      context.injections.push(record);
      const { result } = record;
      if (result.sigbus) context.sigbus.push({ ...result.sigbus, async: false, step: stepIndex });
      const moved = page.pfn !== target.page.pfn ? ` on pfn ${pfnHex(page.pfn)} (prepared as ${pfnHex(target.page.pfn)})` : '';
      const summary = `${record.action}${moved}: ${result.ok ? 'ok' : `failed${result.errno ? ` with ${result.errno}` : ''}${result.message ? ` (${result.message})` : ''}`}${result.sigbus ? `, SIGBUS ${result.sigbus.codeName} at ${result.sigbus.addr}` : ''}`;
      return { ok: result.ok, errno: result.ok ? null : (result.errno ?? null), sigbus: result.sigbus ?? null, summary };
    }
    case 'corruptFilter':
      await setCorruptFilter(guest, action.filter);
      return { ok: true, summary: 'corrupt filter set' };
  }
}
