import type { InjectionRecord } from '../inject/injection.ts';
import type { StateDiff } from '../state/state-diff.ts';

/**
 * The results model every reporter, `compare`, `bisect` and `backport-check` consume. It is
 * written to results.json incrementally, so every field must make sense for a run that was
 * interrupted halfway: cases not run are simply absent, and `complete` says so.
 */
export const VERDICTS = ['passed', 'failed', 'xfail', 'xpass', 'skipped', 'crashed', 'infra-error', 'flaky'] as const;
export type Verdict = (typeof VERDICTS)[number];

/** Verdicts that mean "the kernel did something wrong" (exit code 1), as opposed to infra. */
export const KERNEL_FAILURE_VERDICTS: readonly Verdict[] = ['failed', 'xpass', 'crashed'];

export interface KernelInfo {
  /** Kernel provider cache id, e.g. debian-6.12.117+deb12-amd64-unsigned. */
  id: string;
  /** uname -r in the guest. */
  release: string;
  debianPackage?: string;
  debianVersion?: string;
  upstreamVersion?: string;
}

export interface FailureInfo {
  message: string;
  /** The expectation that failed, as written in the suite (e.g. "event memory-failure result=Recovered"). */
  expectation?: string;
  expected?: unknown;
  actual?: unknown;
  /** file:line of the expectation in the suite. */
  location?: string;
}

export interface CrashInfo {
  /** At most MAX_TITLE_LENGTH characters (parse-crashes). */
  title: string;
  /**
   * The title with addresses, numbers and offsets made generic: what compare, bisect and
   * backport-check match crashes on. Absent in results written before it was stored.
   */
  normalisedTitle?: string;
  kind: string;
  /** The oops text, escaped nowhere: renderers escape it. */
  report: string;
  taint?: string;
  /** The report lacks what its kind must have (a stack trace), or was cut off; the reason. */
  corrupted?: boolean;
  corruptedReason?: string;
  /**
   * In `crashes`: how the case took it. `unexpected` fails it (the first such report that is
   * not corrupted is the case's crash), `expected` matched a `crash:` expectation, `allowed`
   * matched `allow: { reports }` (or the case allows any crash).
   */
  disposition?: 'unexpected' | 'expected' | 'allowed';
}

export interface AttemptResult {
  attempt: number;
  verdict: Exclude<Verdict, 'flaky'>;
  durationMs: number;
  failure?: FailureInfo;
  crash?: CrashInfo;
  /** Every crash report the attempt's kernel log held, in log order (absent: none, or results from before). */
  crashes?: CrashInfo[];
  /** Kernel log records lost in the attempt's window (ring-buffer overflow): its evidence is incomplete. */
  lostLogRecords?: number;
  /** How the case got its clean kernel: a snapshot restore or a fresh boot. */
  isolation: 'restore' | 'boot';
  /** Infra hiccups the runner got over while getting this attempt its guest (absent: none, or results written before they were kept). */
  recoveries?: Recovery[];
}

/**
 * What the guest pool did when its first way of getting a guest failed: `restore-redone` (QEMU
 * died restoring the snapshot; a second restore worked), `restore-fell-back-to-boot` (the
 * restore failed again, or in a way a redo cannot mend: the guest was booted, and so are the
 * group's later ones), `snapshot-not-saved` (the guest booted, but its snapshot could not be
 * saved: the group's later cases boot).
 */
export const RECOVERY_KINDS = ['restore-redone', 'restore-fell-back-to-boot', 'snapshot-not-saved'] as const;

export interface Recovery {
  what: (typeof RECOVERY_KINDS)[number];
  /** What failed and what was done instead, in words. */
  message: string;
}

/** A step of a case's last attempt, as it ran (or did not: its `when:` did not hold). */
export interface StepRecord {
  index: number;
  kind: string;
  location: string;
  status: 'done' | 'skipped' | 'failed';
  summary: string;
  durationMs: number;
  /** shell: the command's exit status (null: killed by a signal, or no status came back). */
  exit?: number | null;
  /**
   * What the step printed (shell steps), absent when it printed nothing on that stream or in
   * results written before output was kept: at most 8 KiB each (head and tail around a
   * "… [N bytes cut] …" line), control characters other than \n and \t shown as \xNN
   * escapes (capStepOutput); not escaped for any format, renderers do that.
   */
  stdout?: string;
  stderr?: string;
  /** program: its process id, the signal that ended it (SIGBUS; null: it exited), and the memory-error SIGBUS lines the kernel's log has for it. */
  pid?: number;
  signal?: string | null;
  sigbus?: Array<{ code: string | null; addr: string | null; async: boolean | null; source: string; pid: number; line: string }>;
}

/**
 * An expectation item (or a step's `expect:` item) and what became of it. `not-applicable`
 * means its `when:` did not hold: set side by side for two kernels, these say which of the
 * suite's version-dependent expectations each kernel was held to.
 */
export interface ExpectationRecord {
  location: string;
  text: string;
  status: 'passed' | 'failed' | 'not-available' | 'not-applicable' | 'not-run';
  xfail: boolean;
  message?: string;
}

export interface CaseArtifacts {
  /** Paths relative to the run directory. */
  console?: string;
  dmesg?: string;
  [name: string]: string | undefined;
}

export interface CaseResult {
  /** Stable across runs: suite id + case id + parameters (compare/bisect match on it). */
  key: string;
  suite: string;
  caseId: string;
  title: string;
  tags: string[];
  parameters: Record<string, string>;
  reference?: string;
  kernel: KernelInfo;
  /** 0-based index when --repeat-each runs a case several times. */
  repeatIndex: number;
  verdict: Verdict;
  skipReason?: string;
  durationMs: number;
  attempts: AttemptResult[];
  failure?: FailureInfo;
  crash?: CrashInfo;
  /** The last attempt's crash reports and lost log records (see AttemptResult). */
  crashes?: CrashInfo[];
  lostLogRecords?: number;
  injections: InjectionRecord[];
  /** Kernel events seen during the case, as parsed (type + fields + the log line). */
  events: Array<{ type: string; text: string; atMs?: number; [field: string]: unknown }>;
  stateDiff?: StateDiff;
  /** The last attempt's steps and expectation items (absent in results written before they were kept). */
  steps?: StepRecord[];
  checks?: ExpectationRecord[];
  artifacts: CaseArtifacts;
}

export interface SuiteFileInfo {
  path: string;
  sha256: string;
}

export interface RunResult {
  schemaVersion: 1;
  runId: string;
  harnessVersion: string;
  startedAt: string;
  endedAt: string | null;
  /** False while running and after an interrupted run: the cases listed are the ones done. */
  complete: boolean;
  interrupted: boolean;
  host: { hostname: string; cpus: number; memoryMiB: number; kernel: string };
  qemu: string;
  accelerator: { accel: 'kvm' | 'tcg'; reason: string };
  kernels: KernelInfo[];
  suites: SuiteFileInfo[];
  /** Shard of the whole (kernel x case) work this run did, e.g. { index: 1, total: 3 }. */
  shard?: { index: number; total: number };
  /** Guests that ran cases at once. */
  workers?: number;
  /** Why cases were left unrun though nobody interrupted (--max-failures); they are listed as skipped. */
  stopReason?: string;
  /** Errors that belong to no case, in the order they happened (absent in results written before they were kept). */
  errors?: RunError[];
  cases: CaseResult[];
}

/**
 * An error outside any case: a suite that would not load (with the problem's file:line:col),
 * a guest group that could not be prepared, a run that stopped on an exception.
 */
export interface RunError {
  message: string;
  /** file:line:col in a suite file, when the error is a suite problem. */
  location?: string;
}
