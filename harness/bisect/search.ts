import type { SearchVerdict } from './step-decision.ts';

/**
 * What to test next, or the answer. Candidates are indices 0..count-1 in build order; index 0
 * is the good end ('old') and count-1 the bad end ('new'), both verified before the search.
 */
export type SearchNext =
  /** `untested`: builds still unknown between the last 'old' and the first 'new'. */
  | { kind: 'test'; index: number; untested: number }
  /** `firstNew` is the first 'new' build; when skipped builds sit just before it, any of `suspects` may be. */
  | { kind: 'done'; lastOld: number; firstNew: number; suspects: number[] };

/**
 * One binary-search move, a pure function of what is known, so a resumed bisect takes exactly
 * the path the interrupted one would have. The interval is (last 'old' before the first
 * 'new', first 'new'); results outside it (a flaky build) no longer matter. The midpoint is
 * tested unless it was skipped; then the untested build nearest to it (the earlier one on a
 * tie), like `git bisect skip`. When every build inside was skipped, the answer is the range.
 */
export function nextProbe(count: number, verdicts: ReadonlyMap<number, SearchVerdict>): SearchNext {
  if (count < 2) throw new Error(`a bisect needs two builds at least, got ${count}`);
  let firstNew = count - 1;
  for (let index = 0; index < count; index++) {
    if (verdicts.get(index) === 'new') {
      firstNew = index;
      break;
    }
  }
  let lastOld = 0;
  for (let index = firstNew - 1; index >= 0; index--) {
    if (verdicts.get(index) === 'old') {
      lastOld = index;
      break;
    }
  }
  const untested: number[] = [];
  for (let index = lastOld + 1; index < firstNew; index++) if (!verdicts.has(index)) untested.push(index);
  if (untested.length === 0) {
    const suspects: number[] = [];
    for (let index = lastOld + 1; index <= firstNew; index++) suspects.push(index);
    return { kind: 'done', lastOld, firstNew, suspects };
  }
  const mid = Math.floor((lastOld + firstNew) / 2);
  let best = untested[0]!;
  for (const index of untested) if (Math.abs(index - mid) < Math.abs(best - mid)) best = index;
  return { kind: 'test', index: best, untested: untested.length };
}
