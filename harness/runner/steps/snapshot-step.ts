import { takeSnapshot } from '../../state/state-snapshot.ts';
import { guestRunner, snapshotOptions, targetPfns, type CaseContext } from '../case-context.ts';
import type { StepResult } from '../step-result.ts';

/** `snapshot: before`: the "before" state is taken here rather than just before the first inject. */
export async function runSnapshotStep(context: CaseContext): Promise<StepResult> {
  context.before = await takeSnapshot(guestRunner(context.guest), snapshotOptions(context));
  return { ok: true, summary: `took the before snapshot (${targetPfns(context).length} target pages)` };
}
