import { describe, expect, it } from 'vitest';
import { nextProbe, type SearchNext } from './search.ts';
import type { SearchVerdict } from './step-decision.ts';

/**
 * Runs the search to its end against a fixed truth: `truth[i]` is what testing build i gives.
 * Returns the answer and the order builds were tested in.
 */
function bisect(truth: SearchVerdict[]): { answer: Extract<SearchNext, { kind: 'done' }>; tested: number[] } {
  const verdicts = new Map<number, SearchVerdict>([
    [0, 'old'],
    [truth.length - 1, 'new'],
  ]);
  const tested: number[] = [];
  for (;;) {
    const next = nextProbe(truth.length, verdicts);
    if (next.kind === 'done') return { answer: next, tested };
    expect(verdicts.has(next.index)).toBe(false);
    tested.push(next.index);
    verdicts.set(next.index, truth[next.index]!);
  }
}

describe('nextProbe', () => {
  it('halves the range and names the first new build', () => {
    const truth: SearchVerdict[] = ['old', 'old', 'old', 'old', 'old', 'new', 'new', 'new', 'new', 'new'];
    const { answer, tested } = bisect(truth);
    expect(answer).toEqual({ kind: 'done', lastOld: 4, firstNew: 5, suspects: [5] });
    expect(tested).toEqual([4, 6, 5]);
  });

  it('needs no step when the ends are neighbours', () => {
    expect(nextProbe(2, new Map([[0, 'old'], [1, 'new']]))).toEqual({ kind: 'done', lastOld: 0, firstNew: 1, suspects: [1] });
  });

  it('tests the untested build nearest the midpoint when the midpoint is skipped', () => {
    const verdicts = new Map<number, SearchVerdict>([[0, 'old'], [9, 'new'], [4, 'skip']]);
    expect(nextProbe(10, verdicts)).toEqual({ kind: 'test', index: 3, untested: 7 });
    verdicts.set(3, 'skip');
    expect(nextProbe(10, verdicts)).toMatchObject({ index: 5 });
  });

  it('answers with the range when skipped builds sit next to the first new one', () => {
    const truth: SearchVerdict[] = ['old', 'old', 'skip', 'skip', 'new', 'new'];
    const { answer } = bisect(truth);
    expect(answer).toEqual({ kind: 'done', lastOld: 1, firstNew: 4, suspects: [2, 3, 4] });
  });

  it('still answers exactly when a skipped build lies away from the change', () => {
    const truth: SearchVerdict[] = ['old', 'old', 'old', 'skip', 'old', 'new', 'new', 'new'];
    const { answer, tested } = bisect(truth);
    expect(answer).toEqual({ kind: 'done', lastOld: 4, firstNew: 5, suspects: [5] });
    expect(tested).toEqual([3, 2, 4, 5]);
  });

  it('names every build when all between the ends are skipped', () => {
    expect(bisect(['old', 'skip', 'skip', 'new']).answer.suspects).toEqual([1, 2, 3]);
  });

  it('is a function of what is known: the same verdicts give the same next step', () => {
    const verdicts = new Map<number, SearchVerdict>([[0, 'old'], [15, 'new'], [7, 'old'], [11, 'skip']]);
    expect(nextProbe(16, verdicts)).toEqual(nextProbe(16, new Map(verdicts)));
  });
});
