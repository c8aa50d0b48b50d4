import { z } from 'zod';

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000 };

/** "500ms", "10s", "2m", "1h", or a plain number of seconds; in milliseconds. */
export function parseDuration(value: string | number): number | null {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? Math.round(value * 1000) : null;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h)\s*$/.exec(value);
  if (!match) return null;
  const ms = Number(match[1]) * (UNIT_MS[match[2]!] ?? 0);
  return ms > 0 ? Math.round(ms) : null;
}

/** A duration in a suite, validated once and carried as milliseconds. */
export const durationSchema = z.union([z.string(), z.number()]).transform((value, ctx): number => {
  const ms = parseDuration(value);
  if (ms === null) {
    ctx.addIssue({ code: 'custom', message: `expected a duration such as 500ms, 10s, 2m (or a number of seconds), got '${String(value)}'` });
    return z.NEVER;
  }
  if (ms > 6 * 3_600_000) {
    ctx.addIssue({ code: 'custom', message: `a duration of more than 6 hours is surely a mistake (got '${String(value)}')` });
    return z.NEVER;
  }
  return ms;
});
