import { crashesOfResults } from '../results/crash-key.ts';
import { kernelLabel } from '../reporters/case-naming.ts';
import type { RunResult } from '../results/run-result.ts';
import { classifyCase, summariseSide, type ClassifyContext } from './classify-case.ts';
import { emptyCounts, REGRESSION_CATEGORIES, type CaseComparison, type Comparison, type RunSummary } from './comparison.ts';
import { matchCases } from './match-cases.ts';
import { isCrossKernel, kernelsOf } from './match-kernels.ts';
import { suitePresence } from './suite-presence.ts';

/** A run as compare read it: the results and where they came from. */
export interface LoadedRun {
  run: RunResult;
  /** The argument as given. */
  ref: string;
  /** The results file read. */
  file: string;
}

function summariseRun(loaded: LoadedRun): RunSummary {
  const { run } = loaded;
  const summary: RunSummary = {
    ref: loaded.ref,
    file: loaded.file,
    runId: run.runId,
    startedAt: run.startedAt,
    complete: run.complete,
    interrupted: run.interrupted,
    kernels: kernelsOf(run),
    cases: run.cases.length,
  };
  if (run.stopReason !== undefined) summary.stopReason = run.stopReason;
  if (run.shard) summary.shard = run.shard;
  return summary;
}

/** Why a run may lack cases it planned, or null when it ran them all. */
export function incompleteness(run: RunResult): string | null {
  if (run.interrupted) return 'the run was interrupted';
  if (run.shard && run.shard.total > 1) return `the run is shard ${run.shard.index}/${run.shard.total}`;
  if (!run.complete) return 'the run did not finish';
  if (run.stopReason !== undefined) return `the run stopped early (${run.stopReason})`;
  return null;
}

function changedSuites(oldRun: RunResult, newRun: RunResult): string[] {
  const oldByPath = new Map(oldRun.suites.map((suite) => [suite.path, suite.sha256]));
  return newRun.suites.filter((suite) => oldByPath.has(suite.path) && oldByPath.get(suite.path) !== suite.sha256).map((suite) => suite.path);
}

/** Every case of OLD and NEW, matched and classified, with what a reader needs to trust it. */
export function compareRuns(oldLoaded: LoadedRun, newLoaded: LoadedRun): Comparison {
  const oldRun = oldLoaded.run;
  const newRun = newLoaded.run;
  const matching = matchCases(oldRun, newRun);
  const newIncomplete = incompleteness(newRun);
  const context: ClassifyContext = {
    newIncomplete,
    newIsShard: (newRun.shard?.total ?? 1) > 1,
    suitePresence: (suite) => suitePresence(oldRun, newRun, suite),
    oldCrashKeys: new Set(crashesOfResults(oldRun.cases).map((crash) => crash.key)),
  };
  if (newRun.stopReason !== undefined) context.newStopReason = newRun.stopReason;
  if (oldRun.stopReason !== undefined) context.oldStopReason = oldRun.stopReason;

  const counts = emptyCounts();
  const cases: CaseComparison[] = matching.cases.map((entry) => {
    const { category, reason } = classifyCase(entry, context);
    counts[category]++;
    const sample = (entry.new[0] ?? entry.old[0])!;
    const comparison: CaseComparison = {
      category,
      key: entry.key,
      suite: sample.suite,
      caseId: sample.caseId,
      title: sample.title,
      parameters: sample.parameters,
      reason,
    };
    if (entry.oldKernel) comparison.oldKernel = entry.oldKernel;
    if (entry.newKernel) comparison.newKernel = entry.newKernel;
    if (entry.old.length > 0) comparison.old = summariseSide(entry.old);
    if (entry.new.length > 0) comparison.new = summariseSide(entry.new);
    return comparison;
  });

  const notes: string[] = [];
  for (const pair of matching.pairs.filter(isCrossKernel)) {
    notes.push(`different kernels: the cases of ${kernelLabel(pair.old)} (OLD) are compared with the same cases on ${kernelLabel(pair.new)} (NEW)`);
  }
  for (const kernel of matching.oldOnly) notes.push(`kernel ${kernelLabel(kernel)} is only in OLD`);
  for (const kernel of matching.newOnly) notes.push(`kernel ${kernelLabel(kernel)} is only in NEW`);
  if (newIncomplete !== null) notes.push(`NEW is incomplete: ${newIncomplete}; cases it did not run are listed as missing, not removed`);
  const oldIncomplete = incompleteness(oldRun);
  if (oldIncomplete !== null) notes.push(`OLD is incomplete: ${oldIncomplete}; cases it did not run count as new`);
  for (const suite of changedSuites(oldRun, newRun)) notes.push(`suite file ${suite} changed between the runs`);

  return {
    old: summariseRun(oldLoaded),
    new: summariseRun(newLoaded),
    kernelPairs: matching.pairs,
    oldOnlyKernels: matching.oldOnly,
    newOnlyKernels: matching.newOnly,
    notes,
    counts,
    cases,
    regressed: REGRESSION_CATEGORIES.some((category) => counts[category] > 0),
  };
}
