import type { ClassifiedRun } from './run-classification.ts';

/** What one build did with the case, before the bisect's direction (regression or fix) is applied. */
export type StepDecision = 'failing' | 'passing' | 'inconclusive' | 'skip';

export interface DecisionRule {
  /** Runs per round (--runs). */
  runs: number;
  /** Failing runs per round that make a build bad-like (--bad-threshold). */
  badThreshold: number;
}

/** A step gets one more round when the first is inconclusive; then it is a skip. */
export const MAX_ROUNDS = 2;

export interface Tally {
  fail: number;
  pass: number;
  skip: number;
}

export function tally(runs: readonly ClassifiedRun[]): Tally {
  const counts: Tally = { fail: 0, pass: 0, skip: 0 };
  for (const run of runs) counts[run.outcome] += 1;
  return counts;
}

/**
 * The step's decision from all its runs so far (`rounds` rounds of `rule.runs`):
 * - failing: at least badThreshold failing runs per round (a round's threshold scales with
 *   the rounds, so a second round does not make a stray failure count for more);
 * - passing: no failing run and at least one passing run (a build counts as good only on
 *   positive evidence, never on the absence of failures among skips);
 * - skip: nothing but skip runs (boot failures, infra errors, other crashes);
 * - otherwise inconclusive while another round is allowed, then skip.
 */
export function decideStep(runs: readonly ClassifiedRun[], rounds: number, rule: DecisionRule): { decision: StepDecision; reason: string } {
  const counts = tally(runs);
  const needed = rule.badThreshold * rounds;
  const summary = `${counts.fail} failing, ${counts.pass} passing, ${counts.skip} skip of ${runs.length} run(s)`;
  if (counts.fail === 0 && counts.pass === 0) return { decision: 'skip', reason: `${summary}: no run could tell` };
  if (counts.fail >= needed) return { decision: 'failing', reason: `${summary} (bad-like at ${needed}+ failing)` };
  if (counts.fail === 0) return { decision: 'passing', reason: `${summary}` };
  if (rounds < MAX_ROUNDS) return { decision: 'inconclusive', reason: `${summary}: fewer than ${needed} failing, but not none; running another round` };
  return { decision: 'skip', reason: `${summary}: still inconclusive after ${rounds} rounds (${needed} failing needed for bad-like)` };
}

/** Which side of the search a build is on: `old` is the good end's behaviour, `new` the bad end's. */
export type SearchVerdict = 'old' | 'new' | 'skip';

/**
 * A regression bisect looks for the first failing build; a fix bisect (--fix) for the first
 * passing one, so there the good (old) end is the failing one.
 */
export function searchVerdictOf(decision: StepDecision, fix: boolean): SearchVerdict {
  if (decision === 'failing') return fix ? 'old' : 'new';
  if (decision === 'passing') return fix ? 'new' : 'old';
  return 'skip';
}
