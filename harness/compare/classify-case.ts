import { crashesOfResults } from '../results/crash-key.ts';
import { kernelLabel } from '../reporters/case-naming.ts';
import { caseProblem } from '../reporters/case-problem.ts';
import type { CaseResult, Verdict } from '../results/run-result.ts';
import type { Category, SideSummary } from './comparison.ts';
import type { MatchedCase } from './match-cases.ts';
import type { SuitePresence } from './suite-presence.ts';

/** What classification needs to know about the runs beyond the case itself. */
export interface ClassifyContext {
  /** Why NEW may lack cases it planned (interrupted, incomplete, a shard, stopped), or null. */
  newIncomplete: string | null;
  /** NEW is one shard of several: whatever it lacks may be in another shard. */
  newIsShard: boolean;
  /** NEW's --max-failures stop reason: its cases skipped with exactly this reason never ran. */
  newStopReason?: string;
  oldStopReason?: string;
  suitePresence(suite: string): SuitePresence;
  /** Crash keys (crashKey) seen anywhere in OLD: a crash new to a case may be old to the run. */
  oldCrashKeys: ReadonlySet<string>;
}

export interface Classification {
  category: Category;
  reason: string;
}

/** How a verdict counts when two runs are set side by side. */
type Outcome = 'good' | 'known' | 'bad' | 'skipped' | 'infra';

function outcome(verdict: Verdict): Outcome {
  switch (verdict) {
    case 'passed':
    case 'flaky':
      // flaky is a pass on retry: the harness exits 0 on it; whether it is news is decided apart.
      return 'good';
    case 'xfail':
      return 'known';
    case 'failed':
    case 'xpass':
    case 'crashed':
      return 'bad';
    case 'skipped':
      return 'skipped';
    case 'infra-error':
      return 'infra';
  }
}

function outcomes(results: readonly CaseResult[]): Set<Outcome> {
  return new Set(results.map((result) => outcome(result.verdict)));
}

/** Crash titles of the final results and of every attempt, one per crash key. */
export function crashTitles(results: readonly CaseResult[]): string[] {
  return crashesOfResults(results).map((crash) => crash.title);
}

function firstLine(text: string | undefined): string | undefined {
  const line = text?.split('\n').find((part) => part.trim() !== '');
  return line?.trim();
}

export function summariseSide(results: readonly CaseResult[]): SideSummary {
  const summary: SideSummary = { verdicts: results.map((result) => result.verdict), crashTitles: crashTitles(results) };
  const notable = results.find((result) => outcome(result.verdict) === 'bad') ?? results.find((result) => result.verdict !== 'passed');
  const line = notable ? firstLine(caseProblem(notable) ?? notable.failure?.message) : undefined;
  if (line) summary.firstLine = line;
  const skipped = results.find((result) => result.verdict === 'skipped');
  if (skipped?.skipReason) summary.skipReason = skipped.skipReason;
  const location = notable?.failure?.location;
  if (location) summary.location = location;
  return summary;
}

/** "passed", "failed ×3", or "passed, failed, passed" when the repeats differ. */
export function describeVerdicts(verdicts: readonly Verdict[]): string {
  if (verdicts.length === 0) return 'absent';
  const distinct = new Set(verdicts);
  if (distinct.size === 1) return verdicts.length > 1 ? `${verdicts[0]} ×${verdicts.length}` : verdicts[0]!;
  return verdicts.join(', ');
}

function transition(oldResults: readonly CaseResult[], newResults: readonly CaseResult[]): string {
  return `${describeVerdicts(oldResults.map((r) => r.verdict))} → ${describeVerdicts(newResults.map((r) => r.verdict))}`;
}

/** Results a run listed but never ran: skipped because the run stopped (--max-failures). */
function ran(results: readonly CaseResult[], stopReason: string | undefined): CaseResult[] {
  return stopReason === undefined ? [...results] : results.filter((result) => !(result.verdict === 'skipped' && result.skipReason === stopReason));
}

function classifyAbsentInNew(entry: MatchedCase, oldResults: readonly CaseResult[], context: ClassifyContext, suite: string): Classification {
  const was = describeVerdicts(oldResults.map((r) => r.verdict));
  if (context.newIncomplete !== null) {
    const presence = context.suitePresence(suite);
    // A shard plans a slice of the suites and kernels: what it lacks may be in another shard.
    if (!context.newIsShard) {
      if (presence === 'absent') return { category: 'removed', reason: `was ${was}; suite ${suite} is not in NEW at all` };
      if (!entry.pair && entry.oldKernel) return { category: 'removed', reason: `was ${was}; kernel ${kernelLabel(entry.oldKernel)} is not in NEW` };
    }
    const doubt = presence === 'changed' ? `; its suite file changed since OLD, so it may also have been removed` : '';
    return { category: 'missing', reason: `was ${was}; not run: ${context.newIncomplete}${doubt}` };
  }
  if (!entry.pair && entry.oldKernel) return { category: 'removed', reason: `was ${was}; kernel ${kernelLabel(entry.oldKernel)} is not in NEW` };
  const presence = context.suitePresence(suite);
  const why =
    presence === 'absent'
      ? `suite ${suite} is not in NEW`
      : presence === 'same'
        ? 'not in NEW although its suite file is unchanged (filtered out by --grep/--tag?)'
        : 'not in NEW, which is complete';
  return { category: 'removed', reason: `was ${was}; ${why}` };
}

/**
 * The category of one matched case. In order: absent on a side (new, removed, missing), a
 * crash title OLD never had (new crash, even on a retried attempt), NEW flaky (a flaky verdict
 * or repeats that disagree), NEW failing (new failure unless it failed before too), NEW
 * broken by the infrastructure (not the kernel's doing), skip changes, then fixed/unchanged.
 */
export function classifyCase(entry: MatchedCase, context: ClassifyContext): Classification {
  const oldResults = ran(entry.old, context.oldStopReason);
  const newResults = ran(entry.new, context.newStopReason);
  const suite = (entry.new[0] ?? entry.old[0])!.suite;

  if (newResults.length === 0) {
    if (entry.new.length > 0 && oldResults.length > 0) {
      return { category: 'missing', reason: `was ${describeVerdicts(oldResults.map((r) => r.verdict))}; not run: ${context.newStopReason}` };
    }
    if (oldResults.length > 0) return classifyAbsentInNew(entry, oldResults, context, suite);
    return { category: 'unchanged', reason: 'run in neither' };
  }

  if (oldResults.length === 0) {
    const fresh = crashesOfResults(newResults).filter((crash) => !context.oldCrashKeys.has(crash.key)).map((crash) => crash.title);
    const where = !entry.pair && entry.newKernel ? ` (kernel ${kernelLabel(entry.newKernel)} is not in OLD)` : '';
    const notRun = entry.old.length > 0 ? ` (not run in OLD: ${context.oldStopReason})` : '';
    if (fresh.length > 0) return { category: 'new-crash', reason: `new case${where}${notRun}, crashed: ${fresh[0]}` };
    return { category: 'new-case', reason: `new case${where}${notRun}: ${describeVerdicts(newResults.map((r) => r.verdict))}` };
  }

  const change = transition(oldResults, newResults);
  const oldCrashes = crashesOfResults(oldResults);
  const oldTitles = oldCrashes.map((crash) => crash.title);
  const oldKeys = new Set(oldCrashes.map((crash) => crash.key));
  const fresh = crashesOfResults(newResults).filter((crash) => !oldKeys.has(crash.key)).map((crash) => crash.title);
  if (fresh.length > 0) {
    return { category: 'new-crash', reason: `${change}: ${fresh[0]}${oldTitles.length > 0 ? ` (was: ${oldTitles[0]})` : ''}` };
  }

  const newOutcomes = outcomes(newResults);
  const oldOutcomes = outcomes(oldResults);
  const oldFailed = oldOutcomes.has('bad') || oldOutcomes.has('known');
  if (newResults.some((r) => r.verdict === 'flaky') || (newOutcomes.has('good') && newOutcomes.has('bad'))) {
    return { category: 'flaky', reason: change };
  }
  const oldOnlySkipped = oldOutcomes.size === 1 && oldOutcomes.has('skipped');
  if (newOutcomes.has('bad')) {
    if (oldOnlySkipped) return { category: 'skipped-changed', reason: `${change} (skipped before: ${oldResults[0]!.skipReason ?? 'no reason'})` };
    if (oldFailed) return { category: 'still-failing', reason: change };
    // A case known to fail now and then failing again is the nightly false alarm, not news.
    if (oldResults.some((r) => r.verdict === 'flaky')) return { category: 'flaky', reason: `${change} (flaky in OLD already)` };
    return { category: 'new-failure', reason: change };
  }
  if (newOutcomes.has('infra')) return { category: 'infra', reason: `${change} (the harness or guest failed, not the kernel)` };
  const newOnlySkipped = newOutcomes.size === 1 && newOutcomes.has('skipped');
  if (newOnlySkipped && oldOnlySkipped) return { category: 'unchanged', reason: change };
  if (newOnlySkipped) return { category: 'skipped-changed', reason: `${change}: ${newResults[0]!.skipReason ?? 'no reason'}` };
  if (oldOnlySkipped) return { category: 'skipped-changed', reason: `${change} (skipped before: ${oldResults[0]!.skipReason ?? 'no reason'})` };
  if (oldFailed && !newOutcomes.has('known')) return { category: 'fixed', reason: change };
  if (oldOutcomes.has('bad') && newOutcomes.has('known')) return { category: 'still-failing', reason: `${change} (now expected to fail)` };
  return { category: 'unchanged', reason: change };
}
