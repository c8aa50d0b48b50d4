/**
 * The one error every deadline of the harness ends in, whichever layer set it. `scope` says
 * what was waited for, which is all a caller decides on: a `step` past its deadline and a
 * `kernel-event` that never came are kernel failures of a case; a `guest-command`, the
 * `console` or the `kernel-log` reader timing out is the guest or the harness not answering.
 */
export type TimeoutScope = 'step' | 'kernel-event' | 'kernel-log' | 'guest-command' | 'console';

export class TimeoutError extends Error {
  constructor(
    readonly scope: TimeoutScope,
    readonly timeoutMs: number,
    message: string,
  ) {
    super(message);
    this.name = 'TimeoutError';
  }
}

export function isTimeout(error: unknown, scope: TimeoutScope): error is TimeoutError {
  return error instanceof TimeoutError && error.scope === scope;
}
