import path from 'node:path';
import { writeFileAtomic } from '../results/atomic-write.ts';
import { filterCases, type CaseFilter } from '../runner/run-plan.ts';
import { runSuites, type RunSuitesOptions } from '../runner/run-suites.ts';
import { loadSuites, type SuiteCase } from '../suite/index.ts';
import { EXIT_INFRA, EXIT_INTERRUPTED, EXIT_OK, EXIT_TEST_FAILURE, HarnessError } from '../util/errors.ts';
import { cacheDir as defaultCacheDir } from '../util/paths.ts';
import { createProgress, type Progress } from '../util/progress.ts';
import type { BackportReport } from './backport-report.ts';
import { buildBackportReport } from './build-backport-report.ts';
import { kernelHistory, type HistoryOptions } from './kernel-history.ts';
import { renderBackportText } from './render-backport.ts';

export const BACKPORT_JSON_FILE = 'backport.json';
export const BACKPORT_TEXT_FILE = 'backport.txt';

export interface BackportCheckOptions extends Omit<RunSuitesOptions, 'kernels' | 'shard' | 'list' | 'filter'> {
  base: string;
  candidate: string;
  filter: CaseFilter;
  cacheDir?: string;
  /** For tests: where changelogs come from. */
  history?: Pick<HistoryOptions, 'fetcher' | 'available'>;
}

export interface BackportCheckOutcome {
  exitCode: number;
  report: BackportReport | null;
  runDir: string | null;
}

/** One kernel, not a list or a range: the two sides of a backport check are single builds. */
function singleKernel(flag: string, ref: string): string {
  if (/[,\s]|\.\./.test(ref.trim())) throw new HarnessError('usage', `${flag} takes one kernel, not a list or range: '${ref}'`);
  return ref.trim();
}

/**
 * `memharness backport-check`: the suites on the base and the candidate kernel in one run
 * (one results directory, the usual reporters), then every case set side by side, the
 * suites' commit references looked up in both changelogs, and a summary to paste into a
 * reply (backport.txt, backport.json). Exit 1 when the candidate is worse than the base,
 * 2 on infrastructure or input problems, 130 interrupted (the report covers what ran).
 */
export async function runBackportCheck(options: BackportCheckOptions): Promise<BackportCheckOutcome> {
  const base = singleKernel('--base', options.base);
  const candidate = singleKernel('--candidate', options.candidate);
  if (base === candidate) throw new HarnessError('usage', `--base and --candidate are the same kernel (${base})`);
  const progress: Progress = options.progress ?? createProgress();
  const stdout = options.stdout ?? process.stdout;
  const outcome = await runSuites({ ...options, kernels: [base, candidate], progress });
  if (!outcome.run || !outcome.runDir) return { exitCode: outcome.exitCode, report: null, runDir: null };
  const { run, runDir } = outcome;
  const [baseKernel, candidateKernel] = run.kernels;
  if (!baseKernel || !candidateKernel) throw new HarnessError('usage', `--base ${base} and --candidate ${candidate} resolved to ${run.kernels.length} kernel(s), not two different ones`);

  const loaded = await loadSuites(options.paths);
  const suiteCases = new Map<string, SuiteCase>(filterCases(loaded.suites.flatMap((suite) => suite.cases), options.filter).map((testCase) => [testCase.key, testCase]));
  const historyOptions: HistoryOptions = { cacheDir: options.cacheDir ?? defaultCacheDir(), progress, ...options.history };
  const [baseHistory, candidateHistory] = [await kernelHistory(baseKernel, historyOptions), await kernelHistory(candidateKernel, historyOptions)];
  const report = buildBackportReport({ run, runDir, base: baseKernel, candidate: candidateKernel, suiteCases, baseHistory, candidateHistory });
  const text = renderBackportText(report);
  await writeFileAtomic(path.join(runDir, BACKPORT_JSON_FILE), `${JSON.stringify(report, null, 2)}\n`);
  await writeFileAtomic(path.join(runDir, BACKPORT_TEXT_FILE), text);
  stdout.write(`\n${text}`);
  return { exitCode: backportExitCode(report, outcome.exitCode), report, runDir };
}

/** 1 when the candidate regressed (whatever else happened: a finding stands), else the run's own trouble, else 0. */
export function backportExitCode(report: BackportReport, runExitCode: number): number {
  if (report.regressed) return EXIT_TEST_FAILURE;
  if (report.interrupted) return EXIT_INTERRUPTED;
  if (runExitCode === EXIT_INFRA || report.counts.inconclusive > 0 || report.counts.missing > 0) return EXIT_INFRA;
  return EXIT_OK;
}
