import { isTimeout, TimeoutError } from '../../util/timeout-error.ts';
import { kernelEvents } from '../../kernel-log/events/parse-event.ts';
import { KMSG_MARK_PREFIX } from '../../kernel-log/reader/kmsg-command.ts';
import { waitForKernelEvent } from '../../kernel-log/events/wait-for-event.ts';
import { eventMatches, type EventMatcher } from '../../suite/index.ts';
import type { CaseContext } from '../case-context.ts';
import { refValuesFor } from '../case-refs.ts';
import { referencesOf } from '../../suite/event-matcher.ts';
import { describeEventMatcher } from '../expectations/describe.ts';
import type { StepResult } from '../step-result.ts';

export const DEFAULT_WAIT_MS = 30_000;

/** Waits for the case's first kernel event matching (events before the case never count). */
export async function runWaitStep(context: CaseContext, matcher: EventMatcher, timeoutMs: number): Promise<StepResult> {
  // `$t0.now` is read once, as the wait starts.
  const refs = await refValuesFor(context, referencesOf(matcher.fields).map((entry) => entry.ref));
  try {
    const found = await waitForKernelEvent(context.kmsg, matcher.type, { after: context.startMark, timeoutMs, where: (event) => eventMatches(matcher, event, refs) });
    return { ok: true, summary: `saw: ${found.record.text}` };
  } catch (error) {
    if (!isTimeout(error, 'kernel-log')) throw error;
    const sameType = kernelEvents(context.kmsg.since(context.startMark).records)
      .filter((located) => located.event.type === matcher.type && !located.record.text.startsWith(KMSG_MARK_PREFIX))
      .map((located) => located.record.text);
    throw new TimeoutError(
      'kernel-event',
      timeoutMs,
      `no kernel event ${describeEventMatcher(matcher, refs)} within ${(timeoutMs / 1000).toFixed(1)} s; ${sameType.length ? `'${matcher.type}' events seen: ${sameType.slice(0, 5).join(' | ')}` : `no '${matcher.type}' event at all`}`,
    );
  }
}
