import type { TaintFlag } from '../kernel-log/crash/taint.ts';
import type { TargetKind } from '../inject/targets.ts';
import type { GuestSpec } from '../vm/guest-spec.ts';
import type { Xfail } from './common-schema.ts';
import type { Expectation } from './expectation-schema.ts';
import type { SourceLocation } from './problems.ts';
import type { Requirement } from './requirement-schema.ts';
import type { Step } from './step-schema.ts';

export interface SuiteInfo {
  id: string;
  title: string;
  description: string | null;
  /** The file as given to the loader. */
  file: string;
  /** Where the suite id is written. */
  location: SourceLocation;
  tags: string[];
  reference: string[];
}

/**
 * Checks every case gets without writing them: no crash, and no taint flag added except
 * those allowed (M whenever the case injects a machine check, plus `allow: { taint }`).
 */
export interface ImplicitChecks {
  /** `allow: { crash: true }`: no crash report, nor the guest's death, fails the case. */
  allowCrash: boolean;
  allowedNewTaint: TaintFlag[];
  /** `allow: { reports }`: regexes naming crash reports that are benign in this case. */
  allowedReports: string[];
}

/** One runnable case: expanded, validated, typed, with everything the runner needs resolved. */
export interface SuiteCase {
  /** `suite/case`, stable across runs (with parameters already in the case id). */
  key: string;
  suite: SuiteInfo;
  id: string;
  /** The id as written, before parameter substitution. */
  templateId: string;
  title: string;
  description: string | null;
  /** Suite tags, then the case's. */
  tags: string[];
  /** The case's reference, else the suite's. */
  reference: string[];
  /** This expansion's values, as strings (CaseResult.parameters). */
  parameters: Record<string, string>;
  guest: GuestSpec;
  /** Suite's, case's and those implied by the steps: all must hold, else SKIP. */
  requirements: Requirement[];
  timeoutMs: number;
  xfail: Xfail | null;
  implicit: ImplicitChecks;
  /** Target name → kind, in preparation order. */
  targets: Record<string, TargetKind>;
  steps: Step[];
  expectations: Expectation[];
  /** Where the case's id is written. */
  location: SourceLocation;
}

export interface LoadedSuite {
  info: SuiteInfo;
  cases: SuiteCase[];
  /** Cases as written (a parameterised case counts once). */
  templates: number;
  /** Combinations removed by `exclude:`. */
  excluded: number;
}
