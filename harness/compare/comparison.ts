import type { KernelInfo, Verdict } from '../results/run-result.ts';

/**
 * What `memharness compare OLD NEW` found: every case of either run in exactly one category.
 * The renderers (text, Markdown, JSON) read only this, never the two RunResults.
 */
export const CATEGORIES = [
  'new-failure',
  'new-crash',
  'fixed',
  'still-failing',
  'flaky',
  'infra',
  'skipped-changed',
  'new-case',
  'removed',
  'missing',
  'unchanged',
] as const;
export type Category = (typeof CATEGORIES)[number];

/** The categories that make compare exit 1: the kernel got worse. */
export const REGRESSION_CATEGORIES: readonly Category[] = ['new-failure', 'new-crash'];

/** How a kernel of OLD was matched with one of NEW. */
export type KernelMatch =
  /** The same kernel (cache id). */
  | 'same-id'
  /** The same `uname -r` under another id (signed and unsigned packages of one build). */
  | 'same-release'
  /** Different builds of one series (6.1.0-47 against 6.1.0-56): the nightly case. */
  | 'same-series'
  /** One kernel left on each side, of different series (a 6.1 baseline against a 6.12 run). */
  | 'only-kernels';

export interface KernelPair {
  old: KernelInfo;
  new: KernelInfo;
  match: KernelMatch;
}

/** One side's results of a case: one per --repeat-each index, in index order. */
export interface SideSummary {
  verdicts: Verdict[];
  /** Crash titles as reported (final crash and any attempt's), distinct. */
  crashTitles: string[];
  /** First line of the first failure (or crash title, or skip reason): what a reader sees first. */
  firstLine?: string;
  skipReason?: string;
  /** Suite file location of the failed expectation, when there is one. */
  location?: string;
}

export interface CaseComparison {
  category: Category;
  key: string;
  suite: string;
  caseId: string;
  title: string;
  parameters: Record<string, string>;
  /** The kernel the case ran on in OLD / NEW (absent on the side it is missing from). */
  oldKernel?: KernelInfo;
  newKernel?: KernelInfo;
  old?: SideSummary;
  new?: SideSummary;
  /** Why it is in its category, in one line ("passed → failed", "new crash title: …"). */
  reason: string;
}

export interface RunSummary {
  /** The argument as given (a directory, a results file, `latest`). */
  ref: string;
  /** The results file read. */
  file: string;
  runId: string;
  startedAt: string;
  complete: boolean;
  interrupted: boolean;
  stopReason?: string;
  shard?: { index: number; total: number };
  kernels: KernelInfo[];
  cases: number;
}

export interface Comparison {
  old: RunSummary;
  new: RunSummary;
  kernelPairs: KernelPair[];
  /** Kernels of one run with no counterpart in the other. */
  oldOnlyKernels: KernelInfo[];
  newOnlyKernels: KernelInfo[];
  /** What a reader must know to trust the counts (kernels differ, NEW incomplete). */
  notes: string[];
  counts: Record<Category, number>;
  cases: CaseComparison[];
  /** True when anything is in a regression category. */
  regressed: boolean;
}

export function emptyCounts(): Record<Category, number> {
  return Object.fromEntries(CATEGORIES.map((category) => [category, 0])) as Record<Category, number>;
}

/** compare's exit code: 1 when the kernel regressed (a new failure or crash), else 0. */
export function compareExitCode(comparison: Pick<Comparison, 'regressed'>): number {
  return comparison.regressed ? 1 : 0;
}

const LABELS: Record<Category, [one: string, many: string]> = {
  'new-failure': ['new failure', 'new failures'],
  'new-crash': ['new crash', 'new crashes'],
  fixed: ['fixed', 'fixed'],
  'still-failing': ['still failing', 'still failing'],
  flaky: ['flaky', 'flaky'],
  infra: ['infra-only failure', 'infra-only failures'],
  'skipped-changed': ['skip changed', 'skips changed'],
  'new-case': ['new case', 'new cases'],
  removed: ['removed', 'removed'],
  missing: ['missing', 'missing'],
  unchanged: ['unchanged', 'unchanged'],
};

/** "2 new failures", "1 fixed". */
export function countLabel(category: Category, count: number): string {
  return `${count} ${LABELS[category][count === 1 ? 0 : 1]}`;
}

/** The section heading of a category: "New failures". */
export function categoryHeading(category: Category): string {
  const many = LABELS[category][1];
  return many[0]!.toUpperCase() + many.slice(1);
}

/** Non-zero counts in category order, e.g. "1 new failure, 3 unchanged"; "nothing to compare" when empty. */
export function countsLine(counts: Record<Category, number>): string {
  const parts = CATEGORIES.filter((category) => counts[category] > 0).map((category) => countLabel(category, counts[category]));
  return parts.length > 0 ? parts.join(', ') : 'no cases in either run';
}
