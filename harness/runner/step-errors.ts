import { TimeoutError } from '../util/timeout-error.ts';

export function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)} s` : `${ms} ms`;
}

/** Races a promise against a deadline; the loser keeps running but is ignored. */
export async function withDeadline<T>(work: Promise<T>, timeoutMs: number, signal?: AbortSignal): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  work.catch(() => undefined);
  try {
    return await Promise.race([
      work,
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new TimeoutError('step', timeoutMs, `did not finish within ${formatMs(timeoutMs)}`)), Math.max(0, timeoutMs));
        if (signal) {
          onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new Error('interrupted'));
          if (signal.aborted) onAbort();
          else signal.addEventListener('abort', onAbort, { once: true });
        }
      }),
    ]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
