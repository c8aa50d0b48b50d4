import { EXIT_INFRA, EXIT_INTERRUPTED, EXIT_OK, EXIT_TEST_FAILURE } from '../util/errors.ts';
import { KERNEL_FAILURE_VERDICTS, type RunResult } from './run-result.ts';

export interface RunOutcome {
  /** Errors outside any case (onError) and reporters that failed to write their output. */
  runErrors?: number;
  /** The run was given no work by design (a shard that got no guest group): empty, yet not an infrastructure failure. */
  noWorkGiven?: boolean;
}

/**
 * The process exit code of a run: 1 when the kernel did something wrong (failed, xpass,
 * crashed), else 130 when the run was interrupted, else 2 when the infrastructure let the run
 * down (an infra-error case, an error outside any case, a run that stopped before its end, or
 * a run that ran nothing: an empty run is not a pass, unless it was given nothing), else 0.
 *
 * A kernel failure wins over everything: it is a finding that stands whatever else went wrong,
 * and `bisect` must see it as "bad".
 */
export function exitCodeForRun(run: RunResult, outcome: RunOutcome = {}): number {
  if (run.cases.some((result) => KERNEL_FAILURE_VERDICTS.includes(result.verdict))) return EXIT_TEST_FAILURE;
  if (run.interrupted) return EXIT_INTERRUPTED;
  if (run.cases.some((result) => result.verdict === 'infra-error')) return EXIT_INFRA;
  if ((outcome.runErrors ?? 0) > 0 || !run.complete || (run.cases.length === 0 && !outcome.noWorkGiven)) return EXIT_INFRA;
  return EXIT_OK;
}
