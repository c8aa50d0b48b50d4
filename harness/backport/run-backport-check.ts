import fs from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../results/atomic-write.ts';
import { exitCodeForRun } from '../results/exit-code.ts';
import { loadRunRef } from '../results/load-run-ref.ts';
import type { KernelInfo, RunResult } from '../results/run-result.ts';
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
  const outcome = await runSuites({ ...options, kernels: [base, candidate], progress });
  if (!outcome.run || !outcome.runDir) return { exitCode: outcome.exitCode, report: null, runDir: null };
  const { run, runDir } = outcome;
  const [baseKernel, candidateKernel] = run.kernels;
  if (!baseKernel || !candidateKernel) throw new HarnessError('usage', `--base ${base} and --candidate ${candidate} resolved to ${run.kernels.length} kernel(s), not two different ones`);
  const suiteCases = new Map(outcome.selected.map((testCase) => [testCase.key, testCase]));
  return reportBackport({ ...options, progress }, { run, runDir, base: baseKernel, candidate: candidateKernel, suiteCases, runExitCode: outcome.exitCode });
}

/**
 * The same report from a run that already holds both kernels (a nightly over a kernel
 * matrix, a `run --kernel K1,K2`): nothing boots. The suites the run names are read again for
 * their commit references when they are still there.
 */
export async function backportFromRun(options: Omit<BackportCheckOptions, 'paths' | 'reporters' | 'retries' | 'repeatEach' | 'workers' | 'accel'> & { fromRun: string; paths?: readonly string[] }): Promise<BackportCheckOutcome> {
  const loaded = await loadRunRef(options.fromRun);
  const base = kernelOfRun(loaded.run, '--base', singleKernel('--base', options.base));
  const candidate = kernelOfRun(loaded.run, '--candidate', singleKernel('--candidate', options.candidate));
  if (base.id === candidate.id) throw new HarnessError('usage', `--base and --candidate name the same kernel of the run (${base.release})`);
  const named = options.paths && options.paths.length > 0 ? options.paths : loaded.run.suites.map((suite) => suite.path);
  const present = (await Promise.all(named.map(async (file) => ((await fs.stat(file).catch(() => null)) ? file : null)))).filter((file): file is string => file !== null);
  // Only the run's cases: the suites hold more than a filtered run ran, and those are not "missing".
  const ran = new Set(loaded.run.cases.map((result) => result.key));
  const suiteCases = new Map([...(await casesOf(present, options.filter))].filter(([key]) => ran.has(key)));
  const runDir = options.output ? path.resolve(options.output) : loaded.dir;
  await fs.mkdir(runDir, { recursive: true });
  return reportBackport({ ...options, progress: options.progress ?? createProgress() }, { run: loaded.run, runDir, base, candidate, suiteCases, runExitCode: exitCodeForRun(loaded.run) });
}

/** A kernel of the run by what a user would type: its cache id, its release, its Debian ABI or version. */
export function kernelOfRun(run: RunResult, flag: string, ref: string): KernelInfo {
  const matches = run.kernels.filter(
    (kernel) => kernel.id === ref || kernel.release === ref || kernel.release.startsWith(`${ref}-`) || kernel.release.startsWith(`${ref}+`) || kernel.debianVersion === ref || kernel.upstreamVersion === ref,
  );
  if (matches.length === 1) return matches[0]!;
  const known = run.kernels.map((kernel) => kernel.release).join(', ') || 'none';
  throw new HarnessError('usage', `${flag} ${ref} ${matches.length === 0 ? 'is not' : 'names more than one of'} the run's kernels (${known})`);
}

async function casesOf(paths: readonly string[], filter: CaseFilter): Promise<Map<string, SuiteCase>> {
  if (paths.length === 0) return new Map();
  const loaded = await loadSuites(paths);
  return new Map(filterCases(loaded.suites.flatMap((suite) => suite.cases), filter).map((testCase) => [testCase.key, testCase]));
}

async function reportBackport(
  options: Pick<BackportCheckOptions, 'cacheDir' | 'history' | 'stdout'> & { progress: Progress },
  inputs: { run: RunResult; runDir: string; base: KernelInfo; candidate: KernelInfo; suiteCases: Map<string, SuiteCase>; runExitCode: number },
): Promise<BackportCheckOutcome> {
  const historyOptions: HistoryOptions = { cacheDir: options.cacheDir ?? defaultCacheDir(), progress: options.progress, ...options.history };
  const baseHistory = await kernelHistory(inputs.base, historyOptions);
  const candidateHistory = await kernelHistory(inputs.candidate, historyOptions);
  const report = buildBackportReport({ ...inputs, baseHistory, candidateHistory });
  const text = renderBackportText(report);
  await writeFileAtomic(path.join(inputs.runDir, BACKPORT_JSON_FILE), `${JSON.stringify(report, null, 2)}\n`);
  await writeFileAtomic(path.join(inputs.runDir, BACKPORT_TEXT_FILE), text);
  (options.stdout ?? process.stdout).write(`\n${text}`);
  return { exitCode: backportExitCode(report, inputs.runExitCode), report, runDir: inputs.runDir };
}

/** 1 when the candidate regressed (whatever else happened: a finding stands), else the run's own trouble, else 0. */
export function backportExitCode(report: BackportReport, runExitCode: number): number {
  if (report.regressed) return EXIT_TEST_FAILURE;
  if (report.interrupted) return EXIT_INTERRUPTED;
  if (runExitCode === EXIT_INFRA || report.counts.inconclusive > 0 || report.counts.missing > 0) return EXIT_INFRA;
  return EXIT_OK;
}
