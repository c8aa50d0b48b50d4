import type { CaseResult, KernelInfo, RunResult } from '../results/run-result.ts';

/** What the run is about to do, known before the first case starts. */
export interface RunPlan {
  /** Number of (kernel x case x repeat) executions planned. */
  total: number;
  kernels: KernelInfo[];
}

export interface CaseBeginInfo {
  key: string;
  title: string;
  kernel: KernelInfo;
  /** 1-based position in the run. */
  index: number;
  total: number;
  /** 1-based; above 1 when a case is retried. */
  attempt: number;
  /** 1-based worker (guest slot) running it, when the run has several. */
  worker?: number;
}

/** An error that belongs to no case (a kernel that would not download, a suite that would not parse). */
export interface RunError {
  message: string;
}

/**
 * One output of a run (terminal, results.json, junit.xml, results.ktap, report.html).
 * Calls arrive in order: onBegin, then onCaseBegin/onCaseEnd per case (onError at any point),
 * then onEnd once, with the final RunResult holding every case that ran. A reporter whose
 * output must be on disk before the run goes on (results.json) returns a promise; the caller
 * awaits it.
 */
export interface Reporter {
  /** Its --reporter name, used when a reporter fails so the message says which. */
  readonly name: string;
  /** The run's metadata; `run.cases` is empty and `run.complete` false. */
  onBegin(run: RunResult, plan: RunPlan): void | Promise<void>;
  onCaseBegin(info: CaseBeginInfo): void | Promise<void>;
  onCaseEnd(result: CaseResult): void | Promise<void>;
  onError(error: RunError): void | Promise<void>;
  onEnd(run: RunResult): Promise<void>;
  /** True when it writes to stdout: a command printing --json must not be mixed with it. */
  printsToStdio(): boolean;
}
