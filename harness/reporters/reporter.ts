import type { AttemptResult, CaseResult, KernelInfo, RunError, RunResult } from '../results/run-result.ts';

export type { RunError } from '../results/run-result.ts';

/** What the run is about to do, known before the first case starts. */
export interface RunPlan {
  /** Number of (kernel x case x repeat) executions planned. */
  total: number;
  kernels: KernelInfo[];
}

/**
 * One planned execution of a case (kernel x case x --repeat-each), as reporters see it: what
 * Playwright's TestCase is to its reporters. Every event of the execution carries it, and
 * reporters key their state by `id`, never by key or title: two repeats of one case can be in
 * flight at once, on two workers.
 */
export interface ReporterCase {
  /** Unique in the run and the same in every shard and replay of it (plannedCaseId). */
  id: string;
  key: string;
  title: string;
  kernel: KernelInfo;
  /** 0-based --repeat-each index. */
  repeatIndex: number;
  /** 1-based position in the run. */
  index: number;
  total: number;
}

/** One attempt of a case starting (the first, or a retry). */
export interface AttemptBeginInfo {
  /** 1-based; above 1 when a case is retried. */
  attempt: number;
  /** 1-based worker (guest slot) running it, when the run has several. */
  worker?: number;
}

/** The id of a planned execution: what makes it distinct in a run (caseIdentity), nothing positional. */
export function plannedCaseId(execution: { kernel: KernelInfo; key: string; repeatIndex: number }): string {
  return JSON.stringify([execution.kernel.id, execution.key, execution.repeatIndex]);
}

/** A run error as one line: `file:line:col: message` for a suite problem, the message otherwise. */
export function formatRunError(error: RunError): string {
  return error.location ? `${error.location}: ${error.message}` : error.message;
}

/**
 * One output of a run (terminal, results.json, junit.xml, results.ktap, report.html).
 * Calls arrive in order: onBegin; then per planned case onCaseBegin, onAttemptBegin and
 * onAttemptEnd for each attempt (none for a skipped case), onCaseEnd with the case's result;
 * onError at any point after onBegin; onEnd once, with the final RunResult holding every case
 * and every run error. Cases of several workers interleave: a reporter tells them apart by
 * `ReporterCase.id`. A case that Ctrl-C cut short gets no onAttemptEnd/onCaseEnd (it is not in
 * the results). A reporter whose output must be on disk before the run goes on (results.json)
 * returns a promise; the caller awaits it.
 */
export interface Reporter {
  /** Its --reporter name, used when a reporter fails so the message says which. */
  readonly name: string;
  /** The run's metadata; `run.cases` and `run.errors` are empty and `run.complete` false. */
  onBegin(run: RunResult, plan: RunPlan): void | Promise<void>;
  /** A planned case starts: a worker took it, or it is reported skipped. Once per case. */
  onCaseBegin(test: ReporterCase): void | Promise<void>;
  onAttemptBegin(test: ReporterCase, attempt: AttemptBeginInfo): void | Promise<void>;
  /** The attempt as results.json keeps it (verdict, failure, crash, isolation, recoveries). */
  onAttemptEnd(test: ReporterCase, attempt: AttemptResult): void | Promise<void>;
  /** The case is done, retries and all. Once per case. */
  onCaseEnd(test: ReporterCase, result: CaseResult): void | Promise<void>;
  onError(error: RunError): void | Promise<void>;
  onEnd(run: RunResult): Promise<void>;
  /** True when it writes to stdout: a command printing --json must not be mixed with it. */
  printsToStdio(): boolean;
}
