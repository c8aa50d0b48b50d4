import type { CaseResult } from '../results/run-result.ts';

/** Why a case did not pass, on one line. */
export function caseProblem(result: CaseResult): string | undefined {
  switch (result.verdict) {
    case 'crashed':
      return result.crash ? `kernel crashed: ${result.crash.title}` : (result.failure?.message ?? 'kernel crashed');
    case 'xpass':
      return result.failure?.message ?? `passed, but it was expected to fail${result.reference ? ` (${result.reference})` : ''}`;
    case 'skipped':
      return result.skipReason;
    case 'flaky': {
      const failed = result.attempts.find((attempt) => attempt.verdict !== 'passed');
      const passed = result.attempts.find((attempt) => attempt.verdict === 'passed');
      const what = failed?.failure?.message ?? failed?.crash?.title ?? failed?.verdict;
      return `passed on attempt ${passed?.attempt ?? '?'} of ${result.attempts.length}${what ? `; attempt ${failed?.attempt} ${failed?.verdict}: ${what}` : ''}`;
    }
    case 'passed':
      return undefined;
    default:
      return result.failure?.message ?? result.crash?.title;
  }
}
