import type { AttemptResult, CrashInfo, FailureInfo } from '../results/run-result.ts';

export interface Problem extends FailureInfo {
  /** The item was marked xfail (an expected failure). */
  xfail?: boolean;
}

export interface VerdictInput {
  infra: FailureInfo | null;
  crash: CrashInfo | null;
  /** Failures that were not marked xfail at item level. */
  failures: Problem[];
  /** Items marked xfail that passed anyway. */
  unexpectedPasses: string[];
  /** The case as a whole is expected to fail on this kernel. */
  caseXfail: { reason: string; reference: string } | null;
}

/** Combines everything into one verdict, in order: infra, crash, failures (xfail), passes (xpass). */
export function decideVerdict(input: VerdictInput): Pick<AttemptResult, 'verdict' | 'failure' | 'crash'> {
  if (input.infra) return { verdict: 'infra-error', failure: input.infra };
  if (input.crash) return { verdict: 'crashed', crash: input.crash, failure: { message: `the guest kernel crashed: ${input.crash.title}` } };
  if (input.failures.length > 0) {
    const [first, ...rest] = input.failures;
    const failure: FailureInfo = { ...first!, message: rest.length ? `${first!.message} (and ${rest.length} more: ${rest.map((problem) => problem.message).join(' | ')})` : first!.message };
    delete (failure as Problem).xfail;
    if (input.caseXfail) return { verdict: 'xfail', failure: { ...failure, message: `expected failure (${input.caseXfail.reason}; ${input.caseXfail.reference}): ${failure.message}` } };
    return { verdict: 'failed', failure };
  }
  if (input.caseXfail) return { verdict: 'xpass', failure: { message: `expected to fail (${input.caseXfail.reason}; ${input.caseXfail.reference}), but every check passed` } };
  if (input.unexpectedPasses.length > 0) return { verdict: 'xpass', failure: { message: input.unexpectedPasses.join('; ') } };
  return { verdict: 'passed' };
}
