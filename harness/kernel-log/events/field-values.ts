import type { MfResult } from './kernel-event.ts';

/** Conversions of captured printk fields; all throw-free, returning null on nonsense. */

export function decimal(text: string | undefined): number | null {
  if (text === undefined || !/^-?\d+$/.test(text)) return null;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : null;
}

const MF_RESULTS: readonly MfResult[] = ['Ignored', 'Failed', 'Delayed', 'Recovered'];

export function mfResult(text: string | undefined): MfResult | null {
  return MF_RESULTS.find((result) => result === text) ?? null;
}
