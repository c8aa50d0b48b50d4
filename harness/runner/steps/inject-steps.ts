import { setCorruptFilter } from '../../inject/debugfs-hwpoison.ts';
import { describeTarget, consoleNow, type InjectionRecord } from '../../inject/injection.ts';
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
      let record: InjectionRecord;
      try {
        record = await injector.inject({ guest }, target.page);
      } catch (error) {
        if (!(await guest.diesWithin(5_000))) throw error;
        record = { method: action.method, target: describeTarget(target.page), action: injector.description, startedAtMs: consoleNow(guest), endedAtMs: consoleNow(guest), result: { ok: false, message: 'the guest died during the injection' } };
        context.injections.push(record);
        throw error;
      }
      context.injections.push(record);
      const { result } = record;
      if (result.sigbus) context.sigbus.push({ ...result.sigbus, async: false, step: stepIndex });
      const summary = `${record.action}: ${result.ok ? 'ok' : `failed${result.errno ? ` with ${result.errno}` : ''}${result.message ? ` (${result.message})` : ''}`}${result.sigbus ? `, SIGBUS ${result.sigbus.codeName} at ${result.sigbus.addr}` : ''}`;
      return { ok: result.ok, errno: result.ok ? null : (result.errno ?? null), sigbus: result.sigbus ?? null, summary };
    }
    case 'corruptFilter':
      await setCorruptFilter(guest, action.filter);
      return { ok: true, summary: 'corrupt filter set' };
  }
}
