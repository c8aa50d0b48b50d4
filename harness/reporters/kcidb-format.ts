import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CaseResult, KernelInfo, RunResult } from '../results/run-result.ts';
import { caseName, kernelLabel } from './case-naming.ts';
import { failureText } from './failure-text.ts';
import { formatRunError, type RunError } from './reporter.ts';
import { capText } from './text/cap-text.ts';

/**
 * KernelCI's kcidb I/O format, schema v4 (kernelci/kcidb-io, kcidb_io/schema/v04_0*.py):
 * checkouts → builds → tests, linked by `origin:`-prefixed ids. One checkout and one build per
 * kernel (a Debian package is a source and a build at once), one test per case execution, and
 * per kernel one summary test at the suites' root holding the run's start time and duration
 * (cases record no start time of their own).
 *
 * Minor 2 is the first v4 minor with the MISS status; nothing used here came later, so
 * consumers on any 4.2+ kcidb accept the file.
 */
export const KCIDB_VERSION = { major: 4, minor: 2 } as const;

export const KCIDB_STATUSES = ['FAIL', 'ERROR', 'MISS', 'PASS', 'DONE', 'SKIP'] as const;
export type KcidbStatus = (typeof KCIDB_STATUSES)[number];

export interface KcidbResource {
  name: string;
  url: string;
}

export interface KcidbCheckout {
  id: string;
  origin: string;
  tree_name?: string;
  comment?: string;
  valid?: boolean;
  misc?: Record<string, unknown>;
}

export interface KcidbBuild {
  id: string;
  checkout_id: string;
  origin: string;
  architecture?: string;
  comment?: string;
  valid?: boolean;
  misc?: Record<string, unknown>;
}

export interface KcidbTest {
  id: string;
  build_id: string;
  origin: string;
  path: string;
  comment?: string;
  status: KcidbStatus;
  waived?: boolean;
  start_time?: string;
  duration?: number;
  log_url?: string;
  log_excerpt?: string;
  output_files?: KcidbResource[];
  environment?: { comment?: string; misc?: Record<string, unknown> };
  misc?: Record<string, unknown>;
}

export interface KcidbData {
  version: { major: 4; minor: number };
  checkouts: KcidbCheckout[];
  builds: KcidbBuild[];
  tests: KcidbTest[];
}

export interface KcidbOptions {
  /** The CI system's name in kcidb: lowercase letters, digits and `_`. */
  origin: string;
  /** The run directory: artifact paths are relative to it. */
  runDir: string;
  /**
   * Where the run directory is published (https://ci.example.org/nightly/<run-id>/). Without
   * it, artifacts are named by file:// URLs, valid in the format but readable only here.
   */
  artifactsUrl?: string;
  errors?: readonly RunError[];
}

export const KCIDB_ORIGIN_PATTERN = /^[a-z0-9_]+$/;
const MAX_EXCERPT = 16_384;
/** The root of every memharness test path: suites sit below it. */
const ROOT_PATH = 'memharness';

/** Status priority from kcidb's schema: the summary of a collection is its highest one. */
const PRIORITY: readonly KcidbStatus[] = ['FAIL', 'ERROR', 'MISS', 'PASS', 'DONE', 'SKIP'];

/**
 * What a verdict says about the tested kernel, in kcidb's words. xfail is a failure the suite
 * expects, so FAIL and waived (kcidb's "status should be ignored"); xpass is FAIL, as the
 * harness counts it a kernel failure; a case a --max-failures stop left unrun is MISS (it did
 * not run, and not because it did not apply); infra-error is ERROR: the case did not
 * complete, for reasons that are not the kernel's.
 */
export function kcidbStatus(result: CaseResult, stopReason: string | undefined): { status: KcidbStatus; waived?: boolean } {
  switch (result.verdict) {
    case 'passed':
    case 'flaky':
      return { status: 'PASS' };
    case 'failed':
    case 'crashed':
    case 'xpass':
      return { status: 'FAIL' };
    case 'xfail':
      return { status: 'FAIL', waived: true };
    case 'skipped':
      return { status: stopReason !== undefined && result.skipReason === stopReason ? 'MISS' : 'SKIP' };
    case 'infra-error':
      return { status: 'ERROR' };
  }
}

/** One node of a dotted kcidb path: anything but letters, digits, `_` and `-` becomes `_`. */
export function pathNode(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]/g, '_') || '_';
}

function artifactUrl(artifact: string, options: KcidbOptions): string {
  if (options.artifactsUrl) {
    const base = options.artifactsUrl.endsWith('/') ? options.artifactsUrl : `${options.artifactsUrl}/`;
    return new URL(artifact.split(path.sep).join('/'), base).href;
  }
  return pathToFileURL(path.resolve(options.runDir, artifact)).href;
}

function kernelObjectId(origin: string, kernel: KernelInfo): string {
  return `${origin}:${kernel.id}`;
}

function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T;
}

function checkoutOf(kernel: KernelInfo, origin: string): KcidbCheckout {
  const debian = kernel.debianPackage !== undefined;
  return {
    id: kernelObjectId(origin, kernel),
    origin,
    ...(debian ? { tree_name: 'debian' } : {}),
    comment: debian ? `${kernel.debianPackage}${kernel.debianVersion ? ` ${kernel.debianVersion}` : ''}` : kernelLabel(kernel),
    valid: true,
    misc: compact({
      release: kernel.release,
      upstream_version: kernel.upstreamVersion,
      debian_package: kernel.debianPackage,
      debian_version: kernel.debianVersion,
    }),
  };
}

function buildOf(kernel: KernelInfo, origin: string): KcidbBuild {
  return {
    id: kernelObjectId(origin, kernel),
    checkout_id: kernelObjectId(origin, kernel),
    origin,
    // The guests are x86-64 PCs: memharness boots amd64 kernels only.
    architecture: 'x86_64',
    comment: kernelLabel(kernel),
    valid: true,
    misc: { kernel_id: kernel.id, release: kernel.release },
  };
}

function environmentOf(run: RunResult): NonNullable<KcidbTest['environment']> {
  return {
    comment: `QEMU ${run.qemu} (${run.accelerator.accel}) on ${run.host.hostname}`,
    misc: compact({
      accelerator: run.accelerator.accel,
      accelerator_reason: run.accelerator.reason,
      host_cpus: run.host.cpus,
      host_memory_mib: run.host.memoryMiB,
      host_kernel: run.host.kernel,
      workers: run.workers,
    }),
  };
}

function caseTest(result: CaseResult, run: RunResult, options: KcidbOptions): KcidbTest {
  const { status, waived } = kcidbStatus(result, run.stopReason);
  const repeat = result.repeatIndex > 0 ? `:repeat-${result.repeatIndex}` : '';
  const test: KcidbTest = {
    id: `${options.origin}:${run.runId}:${result.kernel.id}:${result.key}${repeat}`,
    build_id: kernelObjectId(options.origin, result.kernel),
    origin: options.origin,
    path: [ROOT_PATH, pathNode(result.suite), pathNode(result.caseId)].join('.'),
    comment: caseName(result),
    status,
    duration: result.durationMs / 1000,
    environment: environmentOf(run),
  };
  if (waived) test.waived = true;
  const { console: consoleLog, ...others } = result.artifacts;
  if (consoleLog) test.log_url = artifactUrl(consoleLog, options);
  const outputs = Object.entries(others).filter((entry): entry is [string, string] => entry[1] !== undefined);
  if (outputs.length > 0) test.output_files = outputs.map(([, artifact]) => ({ name: path.basename(artifact), url: artifactUrl(artifact, options) }));
  const excerpt = result.verdict === 'skipped' ? result.skipReason : failureText(result);
  if (excerpt) test.log_excerpt = capText(excerpt, MAX_EXCERPT - 64);
  test.misc = compact({
    verdict: result.verdict,
    key: result.key,
    parameters: Object.keys(result.parameters).length > 0 ? result.parameters : undefined,
    repeat_index: result.repeatIndex,
    attempts: result.attempts.map((attempt) => compact({ attempt: attempt.attempt, verdict: attempt.verdict, isolation: attempt.isolation, duration: attempt.durationMs / 1000 })),
    crash_title: result.crash?.title,
    failure_location: result.failure?.location,
    skip_reason: result.skipReason,
    reference: result.reference,
    tags: result.tags,
    run_id: run.runId,
  });
  return test;
}

function summaryStatus(tests: readonly KcidbTest[], run: RunResult): KcidbStatus {
  const counted = tests.filter((test) => !test.waived).map((test) => test.status);
  // Nothing ran: not applicable when the run finished, the harness's doing when it did not.
  return PRIORITY.find((status) => counted.includes(status)) ?? (run.complete ? 'SKIP' : 'MISS');
}

function durationSeconds(run: RunResult): number | undefined {
  if (run.endedAt === null) return undefined;
  return Math.max(0, (Date.parse(run.endedAt) - Date.parse(run.startedAt)) / 1000);
}

/** The whole run as one kcidb submission. */
export function buildKcidb(run: RunResult, options: KcidbOptions): KcidbData {
  const kernels = new Map<string, KernelInfo>();
  for (const kernel of [...run.kernels, ...run.cases.map((result) => result.kernel)]) if (!kernels.has(kernel.id)) kernels.set(kernel.id, kernel);
  const tests: KcidbTest[] = [];
  for (const kernel of kernels.values()) {
    const cases = run.cases.filter((result) => result.kernel.id === kernel.id).map((result) => caseTest(result, run, options));
    const duration = durationSeconds(run);
    const summary: KcidbTest = {
      id: `${options.origin}:${run.runId}:${kernel.id}`,
      build_id: kernelObjectId(options.origin, kernel),
      origin: options.origin,
      path: ROOT_PATH,
      comment: `memharness run ${run.runId} on ${kernelLabel(kernel)}`,
      status: summaryStatus(cases, run),
      start_time: run.startedAt,
      ...(duration === undefined ? {} : { duration }),
      environment: environmentOf(run),
      misc: compact({
        run_id: run.runId,
        harness_version: run.harnessVersion,
        complete: run.complete,
        interrupted: run.interrupted,
        stop_reason: run.stopReason,
        shard: run.shard,
        suites: run.suites,
        cases: cases.length,
        run_errors: options.errors && options.errors.length > 0 ? options.errors.map(formatRunError) : undefined,
      }),
    };
    tests.push(summary, ...cases);
  }
  return {
    version: { ...KCIDB_VERSION },
    checkouts: [...kernels.values()].map((kernel) => checkoutOf(kernel, options.origin)),
    builds: [...kernels.values()].map((kernel) => buildOf(kernel, options.origin)),
    tests,
  };
}
