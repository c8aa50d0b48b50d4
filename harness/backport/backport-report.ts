import type { KernelInfo, Verdict } from '../results/run-result.ts';

/**
 * What `memharness backport-check` found: every case of the two kernels in one category, the
 * suite's version-dependent expectations each kernel was held to, and the suite's commit
 * references looked up in each kernel's Debian changelog. Renderers read only this.
 */
export const BACKPORT_CATEGORIES = [
  'regressed',
  'new-crash',
  'known-bug-in-candidate',
  'fixed',
  'known-bug-fixed',
  'still-failing',
  'differs-as-expected',
  'only-on-base',
  'only-on-candidate',
  'inconclusive',
  'missing',
  'same',
] as const;
export type BackportCategory = (typeof BACKPORT_CATEGORIES)[number];

/** The categories that make backport-check exit 1: the candidate is worse than the base. */
export const BACKPORT_REGRESSIONS: readonly BackportCategory[] = ['regressed', 'new-crash', 'known-bug-in-candidate'];

/** One expectation (or step `expect:` item) of the suite, held on one kernel and not the other. */
export interface HeldExpectation {
  location: string;
  text: string;
}

export interface BackportSide {
  verdicts: Verdict[];
  /** What a reader sees first: the failure's first line, the crash title or the skip reason. */
  detail?: string;
}

export interface CaseBackport {
  category: BackportCategory;
  key: string;
  suite: string;
  caseId: string;
  title: string;
  reason: string;
  base?: BackportSide;
  candidate?: BackportSide;
  /** Expectations only one kernel was held to (their `when:` holds there only). */
  onlyBase: HeldExpectation[];
  onlyCandidate: HeldExpectation[];
  /** Commit references of the case (case, xfail and expectation metadata). */
  references: string[];
}

/** Where a commit title was found for one kernel. */
export type ReferenceLookup =
  | { state: 'listed'; version: string }
  | { state: 'by-upstream-version'; upstream: string }
  | { state: 'not-listed' }
  | { state: 'unknown'; why: string };

export interface ReferenceCheck {
  /** As written in the suite. */
  reference: string;
  /** The commit title looked up (annotations such as "(upstream 6.2)" taken off). */
  title: string;
  base: ReferenceLookup;
  candidate: ReferenceLookup;
  /** Keys of the cases that cite it. */
  cases: string[];
}

export interface BackportReport {
  base: KernelInfo;
  candidate: KernelInfo;
  runDir: string;
  runId: string;
  complete: boolean;
  interrupted: boolean;
  suites: Array<{ path: string; sha256: string }>;
  accelerator: string;
  counts: Record<BackportCategory, number>;
  cases: CaseBackport[];
  references: ReferenceCheck[];
  /** Where a changelog could not be had, and why. */
  changelogNotes: string[];
  regressed: boolean;
}

export function emptyBackportCounts(): Record<BackportCategory, number> {
  return Object.fromEntries(BACKPORT_CATEGORIES.map((category) => [category, 0])) as Record<BackportCategory, number>;
}
