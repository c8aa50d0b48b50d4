import { normaliseTitle } from '../kernel-log/crash/normalise-title.ts';
import type { CaseResult, Verdict } from '../results/run-result.ts';

/** One run of the bisected case, as much of its CaseResult as a bisect decides on and reports. */
export interface RunRecord {
  repeatIndex: number;
  verdict: Verdict;
  crashTitle?: string;
  /** The failure message, or why the run was skipped or could not run. */
  message?: string;
  durationMs?: number;
}

export type RunOutcome = 'fail' | 'pass' | 'skip';

export interface ClassifiedRun extends RunRecord {
  outcome: RunOutcome;
  /** Why it counts the way it does, for the report. */
  why: string;
}

/**
 * Which crashes count as the bug. At the endpoint that shows the failure every crash does
 * (its titles become the reference); elsewhere only a crash with a reference title does: a
 * build that dies of some other bug first says nothing about ours (syzkaller bisects the
 * same way).
 */
export type CrashReference = { kind: 'any' } | { kind: 'titles'; titles: readonly string[] };

export function runRecordOf(result: CaseResult): RunRecord {
  const message = result.failure?.message ?? result.skipReason;
  return {
    repeatIndex: result.repeatIndex,
    verdict: result.verdict,
    ...(result.crash ? { crashTitle: result.crash.title } : {}),
    ...(message ? { message } : {}),
    durationMs: result.durationMs,
  };
}

export function classifyRun(run: RunRecord, reference: CrashReference): ClassifiedRun {
  const as = (outcome: RunOutcome, why: string): ClassifiedRun => ({ ...run, outcome, why });
  switch (run.verdict) {
    case 'failed':
    case 'xfail':
      return as('fail', run.verdict);
    // Failed, then passed on retry: the failure happened, so it counts.
    case 'flaky':
      return as('fail', 'flaky (failed once)');
    case 'passed':
    case 'xpass':
      return as('pass', run.verdict);
    case 'crashed': {
      const title = run.crashTitle ?? '';
      if (reference.kind === 'any') return as('fail', `crashed: ${title}`);
      if (reference.titles.includes(normaliseTitle(title))) return as('fail', `crashed: ${title}`);
      return as('skip', `crashed with another title: ${title}`);
    }
    case 'skipped':
      return as('skip', `skipped${run.message ? `: ${run.message}` : ''}`);
    case 'infra-error':
      return as('skip', `infra-error${run.message ? `: ${run.message}` : ''}`);
  }
}

/** The normalised titles of the crashes among these runs: the reference for later steps. */
export function crashTitlesOf(runs: readonly RunRecord[]): string[] {
  const titles = runs.filter((run) => run.verdict === 'crashed' && run.crashTitle).map((run) => normaliseTitle(run.crashTitle!));
  return [...new Set(titles)];
}
