import { normaliseTitle } from '../kernel-log/crash/normalise-title.ts';
import { escapeControl } from '../reporters/text/escape-text.ts';
import { crashKey } from '../results/crash-key.ts';
import type { CaseResult, Verdict } from '../results/run-result.ts';

/** One run of the bisected case, as much of its CaseResult as a bisect decides on and reports. */
export interface RunRecord {
  repeatIndex: number;
  verdict: Verdict;
  crashTitle?: string;
  /** The crash's key (crashKey: its stored normalised title). */
  crashKey?: string;
  /** The failure message, or why the run was skipped or could not run. */
  message?: string;
  durationMs?: number;
}

export type RunOutcome = 'fail' | 'pass' | 'skip';

export interface ClassifiedRun extends RunRecord {
  outcome: RunOutcome;
  /** How it counts, in a word or two: failed, flaky (failed once), crashed, skipped, infra-error... */
  why: string;
  /**
   * Why it did so, in one line: the first line of the failure message, the crash title, the
   * skip reason or the infra error (control characters escaped, at most REASON_MAX_CHARS).
   * Absent for a run without one (a pass) and in states saved before reasons were kept.
   */
  reason?: string;
}

/** A reason longer than this is cut (with "…"): it goes on one line of a terminal and in a table cell. */
export const REASON_MAX_CHARS = 300;

/** The first non-empty line of a text, escaped (a guest wrote much of it) and capped: a run's reason. */
export function oneLineReason(text: string | undefined): string | undefined {
  const line = text
    ?.split(/\r?\n/)
    .map((part) => part.trim())
    .find((part) => part !== '');
  if (line === undefined) return undefined;
  const escaped = escapeControl(line);
  return escaped.length > REASON_MAX_CHARS ? `${escaped.slice(0, REASON_MAX_CHARS - 1)}…` : escaped;
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
    ...(result.crash ? { crashTitle: result.crash.title, crashKey: crashKey(result.crash) } : {}),
    ...(message ? { message } : {}),
    durationMs: result.durationMs,
  };
}

export function classifyRun(run: RunRecord, reference: CrashReference): ClassifiedRun {
  // A crash is told by its title; anything else by its message (failure, skip or infra error).
  const reason = oneLineReason(run.verdict === 'crashed' ? (run.crashTitle ?? run.message) : run.message);
  const as = (outcome: RunOutcome, why: string): ClassifiedRun => ({ ...run, outcome, why, ...(reason ? { reason } : {}) });
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
      if (reference.kind === 'any') return as('fail', 'crashed');
      if (reference.titles.includes(run.crashKey ?? normaliseTitle(title))) return as('fail', 'crashed');
      return as('skip', 'crashed with another title');
    }
    case 'skipped':
      return as('skip', 'skipped');
    case 'infra-error':
      return as('skip', 'infra-error');
  }
}

/** A run as the progress lines and the reports show it: how it counts, and why. */
export function runText(run: Pick<ClassifiedRun, 'why' | 'reason'>): string {
  return run.reason ? `${run.why}: ${run.reason}` : run.why;
}

/** The normalised titles of the crashes among these runs: the reference for later steps. */
export function crashTitlesOf(runs: readonly RunRecord[]): string[] {
  const titles = runs.filter((run) => run.verdict === 'crashed' && run.crashTitle).map((run) => run.crashKey ?? normaliseTitle(run.crashTitle!));
  return [...new Set(titles)];
}
