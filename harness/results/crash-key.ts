import { normaliseTitle } from '../kernel-log/crash/normalise-title.ts';
import type { CaseResult, CrashInfo } from './run-result.ts';

/**
 * What crashes are matched on across runs (compare's "new crash", bisect's reference titles,
 * backport-check): the normalised title stored when the report was parsed. Results written
 * before it was stored are normalised here, on reading; nothing else normalises titles.
 */
export function crashKey(crash: Pick<CrashInfo, 'title' | 'normalisedTitle'>): string {
  return crash.normalisedTitle ?? normaliseTitle(crash.title);
}

export interface CrashName {
  title: string;
  key: string;
}

/** The crashes of final results and of every attempt (a retried panic is still a panic), one per key, in order. */
export function crashesOfResults(results: readonly CaseResult[]): CrashName[] {
  const byKey = new Map<string, CrashName>();
  for (const result of results) {
    for (const crash of [result.crash, ...result.attempts.map((attempt) => attempt.crash)]) {
      if (!crash) continue;
      const key = crashKey(crash);
      if (!byKey.has(key)) byKey.set(key, { title: crash.title, key });
    }
  }
  return [...byKey.values()];
}
