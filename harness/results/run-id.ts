import { randomBytes } from 'node:crypto';

/**
 * Run ids name result directories: `2026-11-22T03-25-00Z-a3f9`. The UTC timestamp comes first
 * and is fixed-width, so sorting ids as strings sorts runs by start time (`latest` relies on
 * it); the random suffix keeps two runs started in the same second apart. No colons, so the
 * id is a valid file name everywhere.
 */
export const RUN_ID_PATTERN = /^(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})Z-([0-9a-f]{4})$/;

export function newRunId(now: Date = new Date(), suffix: string = randomBytes(2).toString('hex')): string {
  if (!/^[0-9a-f]{4}$/.test(suffix)) throw new Error(`run id suffix must be 4 lowercase hex digits, got ${JSON.stringify(suffix)}`);
  const stamp = now.toISOString().slice(0, 19).replace(/:/g, '-');
  return `${stamp}Z-${suffix}`;
}

export function isRunId(name: string): boolean {
  return RUN_ID_PATTERN.test(name);
}

/** When the run started, from its id alone; null when the name is not a run id. */
export function runIdDate(runId: string): Date | null {
  const match = RUN_ID_PATTERN.exec(runId);
  if (!match) return null;
  const date = new Date(`${match[1]}T${match[2]}:${match[3]}:${match[4]}Z`);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** Oldest first. */
export function compareRunIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
