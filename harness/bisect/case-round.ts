import fs from 'node:fs/promises';
import type { AcceleratorRequest } from '../host/accelerator.ts';
import { runSuites } from '../runner/run-suites.ts';
import { HarnessError } from '../util/errors.ts';
import type { Progress } from '../util/progress.ts';
import { exactCasePattern } from './case-ref.ts';
import { runRecordOf, type RunRecord } from './run-classification.ts';

export interface CaseRoundOptions {
  /** A --kernel value: a Debian build, a bzImage/vmlinux path or a build tree. */
  kernelRef: string;
  caseKey: string;
  /** The suite file holding the case. */
  suiteFile: string;
  runs: number;
  /** This round's run directory (results.json, console logs); emptied first. */
  dir: string;
  workers?: number;
  accel?: AcceleratorRequest;
  progress?: Progress;
}

export type RoundOutcome = { interrupted: true } | { interrupted: false; runs: RunRecord[] };

/**
 * One round of a step: the case `runs` times on one kernel through the ordinary runner, each
 * repeat a run. A kernel that cannot be prepared or booted is the build's problem, not a
 * verdict on the case: every run of the round is then an infra-error (a skip).
 */
export async function runCaseRound(options: CaseRoundOptions): Promise<RoundOutcome> {
  await fs.rm(options.dir, { recursive: true, force: true });
  await fs.mkdir(options.dir, { recursive: true });
  const infra = (message: string): RoundOutcome => ({
    interrupted: false,
    runs: Array.from({ length: options.runs }, (_, repeatIndex) => ({ repeatIndex, verdict: 'infra-error' as const, message })),
  });
  let outcome;
  try {
    outcome = await runSuites({
      paths: [options.suiteFile],
      kernels: [options.kernelRef],
      output: options.dir,
      reporters: ['json'],
      retries: 0,
      repeatEach: options.runs,
      workers: options.workers ?? 1,
      filter: { grep: exactCasePattern(options.caseKey), tags: [] },
      accel: options.accel ?? 'auto',
      ...(options.progress ? { progress: options.progress } : {}),
    });
  } catch (error) {
    if (error instanceof HarnessError && error.kind === 'interrupted') return { interrupted: true };
    return infra(`the kernel could not be prepared: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!outcome.run) throw new HarnessError('usage', `the suite ${options.suiteFile} could not be run (its problems are printed above)`);
  if (outcome.run.interrupted) return { interrupted: true };
  const runs = outcome.run.cases.filter((result) => result.key === options.caseKey).map(runRecordOf).sort((a, b) => a.repeatIndex - b.repeatIndex);
  if (runs.length === 0) return infra(`the run produced no result for ${options.caseKey}`);
  return { interrupted: false, runs };
}
