import { describeVerdicts, summariseSide } from '../compare/classify-case.ts';
import { crashesOfResults } from '../results/crash-key.ts';
import type { CaseResult, Verdict } from '../results/run-result.ts';
import type { BackportCategory, BackportSide, HeldExpectation } from './backport-report.ts';
import { heldDifference } from './held-expectations.ts';

export interface BackportClassification {
  category: BackportCategory;
  reason: string;
  onlyBase: HeldExpectation[];
  onlyCandidate: HeldExpectation[];
}

type Outcome = 'good' | 'known' | 'unexpected-pass' | 'bad' | 'skipped' | 'infra' | 'flaky';

function outcomeOf(verdict: Verdict): Outcome {
  switch (verdict) {
    case 'passed':
      return 'good';
    case 'xfail':
      return 'known';
    // An xfail case that passes: a failure for the run, but for a backport the bug is gone.
    case 'xpass':
      return 'unexpected-pass';
    case 'failed':
    case 'crashed':
      return 'bad';
    case 'skipped':
      return 'skipped';
    case 'infra-error':
      return 'infra';
    case 'flaky':
      return 'flaky';
  }
}

/** One word for all repeats of a side, or 'mixed' when they disagree. */
function sideOutcome(results: readonly CaseResult[]): Outcome | 'mixed' {
  const outcomes = new Set(results.map((result) => outcomeOf(result.verdict)));
  return outcomes.size === 1 ? [...outcomes][0]! : 'mixed';
}

export function sideSummary(results: readonly CaseResult[]): BackportSide {
  const summary = summariseSide(results);
  const detail = summary.crashTitles[0] ?? summary.firstLine ?? summary.skipReason;
  return { verdicts: summary.verdicts, ...(detail ? { detail } : {}) };
}

/**
 * A case on the base kernel against the same case on the candidate. In order: absent on a
 * side, a crash title new in the candidate, results the harness or chance decided (infra,
 * flaky, repeats that disagree), skips, then the verdict change, and for equal verdicts the
 * suite's version-dependent expectations that held on one kernel only.
 */
export function classifyBackport(base: readonly CaseResult[], candidate: readonly CaseResult[]): BackportClassification {
  const none = { onlyBase: [], onlyCandidate: [] };
  const change = `${describeVerdicts(base.map((r) => r.verdict))} → ${describeVerdicts(candidate.map((r) => r.verdict))}`;
  if (base.length === 0 || candidate.length === 0) {
    return { category: 'missing', reason: `not run on the ${base.length === 0 ? 'base' : 'candidate'} kernel (the run was interrupted or stopped)`, ...none };
  }
  const baseKeys = new Set(crashesOfResults(base).map((crash) => crash.key));
  const fresh = crashesOfResults(candidate).filter((crash) => !baseKeys.has(crash.key)).map((crash) => crash.title);
  if (fresh.length > 0) return { category: 'new-crash', reason: `${change}: ${fresh[0]}`, ...none };

  const was = sideOutcome(base);
  const now = sideOutcome(candidate);
  for (const [side, outcome] of [['base', was], ['candidate', now]] as const) {
    if (outcome === 'infra') return { category: 'inconclusive', reason: `${change}: the harness or the guest failed on the ${side} kernel, not the kernel under test`, ...none };
    if (outcome === 'flaky' || outcome === 'mixed') return { category: 'inconclusive', reason: `${change}: flaky on the ${side} kernel`, ...none };
  }
  if (was === 'skipped' && now === 'skipped') return { category: 'same', reason: `skipped on both: ${base[0]!.skipReason ?? 'no reason'}`, ...none };
  if (now === 'skipped') return { category: 'only-on-base', reason: `skipped on the candidate: ${candidate[0]!.skipReason ?? 'no reason'}`, ...none };
  if (was === 'skipped') return { category: 'only-on-candidate', reason: `skipped on the base: ${base[0]!.skipReason ?? 'no reason'}`, ...none };

  const good = (outcome: Outcome | 'mixed') => outcome === 'good' || outcome === 'unexpected-pass';
  if (good(was) && now === 'bad') return { category: 'regressed', reason: change, ...none };
  if (good(was) && now === 'known') return { category: 'known-bug-in-candidate', reason: `${change}: the suite's known bug, which the base does not show`, ...none };
  if (was === 'bad' && good(now)) return { category: 'fixed', reason: change, ...none };
  if (was === 'known' && good(now)) {
    const note = now === 'unexpected-pass' ? ' (the xfail still applies to the candidate: narrow its when:)' : '';
    return { category: 'known-bug-fixed', reason: `${change}: the suite's known bug is gone${note}`, ...none };
  }
  if (was === 'bad' || now === 'bad') return { category: 'still-failing', reason: change, ...none };

  const difference = heldDifference(base, candidate);
  if (difference.onlyBase.length > 0 || difference.onlyCandidate.length > 0) {
    const count = difference.onlyBase.length + difference.onlyCandidate.length;
    return { category: 'differs-as-expected', reason: `${change}; ${count} version-dependent expectation(s) differ`, ...difference };
  }
  return { category: 'same', reason: change, ...none };
}
