import type { Comparison } from '../../compare/comparison.ts';
import { VERDICTS, type CaseResult, type RunResult, type StepRecord, type Verdict } from '../../results/run-result.ts';
import { caseName, kernelLabel } from '../case-naming.ts';
import { caseProblem } from '../case-problem.ts';
import { recoveryLines } from '../failure-text.ts';
import { formatRunError, type RunError } from '../reporter.ts';
import { capText } from '../text/cap-text.ts';
import { describeValue } from '../text/describe-value.ts';
import { escapeControl } from '../text/escape-text.ts';
import { formatDuration } from '../text/format-duration.ts';
import { VERDICT_STYLES } from '../verdict-style.ts';
import { ByteBudget, readArtifactSlice, type ArtifactSlice } from './artifact-slice.ts';
import { comparisonSlot, indexComparison, type HtmlCaseComparison, type HtmlComparison } from './comparison-model.ts';
import { buildMatrix, shortKernelLabels, VERDICT_WORDS, verdictBar, type HtmlMatrix } from './matrix-model.ts';

/**
 * Everything report.html shows, already turned into plain strings: guest text has its control
 * characters made visible and is capped here; HTML escaping is the template's job (it escapes
 * every interpolation by default).
 */
export interface HtmlReportModel {
  title: string;
  runId: string;
  harnessVersion: string;
  startedAt: string;
  endedAt: string;
  duration: string;
  status: 'complete' | 'interrupted' | 'incomplete';
  host: string;
  qemu: string;
  accel: string;
  accelReason: string;
  shard: string;
  verdicts: Array<{ verdict: Verdict; label: string; symbol: string; count: number }>;
  /** All results' verdicts as stacked segments, in percent. */
  bar: Array<{ verdict: Verdict; x: string; width: string; count: number }>;
  kernels: Array<{ id: string; label: string; counts: number[]; total: number }>;
  /** Suite ids, sorted (the matrix groups its rows by suite in this order). */
  suites: string[];
  /** The run's errors outside any case, each as one text (`file:line:col: message` for a suite problem). */
  errors: string[];
  cases: HtmlCase[];
  /** The case × kernel matrix: for a run over two kernels or more, null otherwise. */
  matrix: HtmlMatrix | null;
  /** compare's categories against the baseline (`run --baseline`, `compare`), null without one. */
  comparison: HtmlComparison | null;
}

export interface HtmlStep {
  location: string;
  kind: string;
  status: string;
  summary: string;
  duration: string;
  /** "exit 0", "no exit status", or empty when the step has none (not a shell step, or older results). */
  exit: string;
  /** Its stdout and stderr as kept in results.json, when it printed anything. */
  output: Array<{ stream: 'stdout' | 'stderr'; text: string; lines: number; note: string }>;
}

export interface HtmlCase {
  anchor: string;
  verdict: Verdict;
  verdictLabel: string;
  symbol: string;
  kernelId: string;
  kernelLabel: string;
  suite: string;
  name: string;
  key: string;
  duration: string;
  problem: string;
  parameters: Array<[string, string]>;
  tags: string[];
  reference: string;
  failure: { message: string; expectation: string; expected: string; actual: string; location: string } | null;
  crash: { title: string; kind: string; taint: string; report: string } | null;
  attempts: Array<{ attempt: number; verdict: string; duration: string; isolation: string; why: string }>;
  /** Infra hiccups the runner got over for this case's attempts (a restore redone, a boot instead of a restore), one line each. */
  recoveries: string[];
  injections: Array<{ method: string; target: string; action: string; window: string; result: string }>;
  events: Array<{ at: string; type: string; text: string; fields: string }>;
  /** The last attempt's steps and expectation items, with what became of each (not-applicable: its when: did not hold here). */
  steps: HtmlStep[];
  checks: Array<{ location: string; text: string; status: string; message: string }>;
  stateDiff: string;
  logs: Array<{ name: string; slice: ArtifactSlice }>;
  artifacts: Array<[string, string]>;
  /** Against the baseline, when the report has one. */
  comparison: HtmlCaseComparison | null;
  /** The same case on every kernel of the run (a matrix row), when it has several. */
  siblings: Array<{ anchor: string | null; kernelLabel: string; short: string; verdict: Verdict | null; symbol: string; word: string; current: boolean }>;
}

export interface ReportModelOptions {
  /** Default: the run's own (`run.errors`). */
  errors?: readonly RunError[];
  /** Artifact paths are relative to it. */
  runDir: string;
  maxArtifactBytes?: number;
  /** For all artifact slices of the report together. */
  maxTotalArtifactBytes?: number;
  maxValueChars?: number;
  /** A step's stdout or stderr (already capped in results.json; this is the report's own limit). */
  maxStepOutputChars?: number;
  /** The run compared with its baseline: categories in the matrix and the details. */
  comparison?: Comparison;
}

const LOG_ARTIFACTS = ['console', 'dmesg'] as const;

function guestLine(text: string, max: number): string {
  return capText(escapeControl(text), max);
}

function guestBlock(text: string, max: number): string {
  return capText(escapeControl(text, { multiline: true }), max);
}

/** uname -r comes from the guest too. */
function kernelName(kernel: CaseResult['kernel']): string {
  return guestLine(kernelLabel(kernel), 200);
}

function eventFields(event: CaseResult['events'][number]): string {
  const { type: _type, text: _text, atMs: _atMs, ...fields } = event;
  return Object.entries(fields)
    .map(([name, value]) => `${name}=${typeof value === 'string' ? value : describeValue(value)}`)
    .join(' ');
}

/** Read whether or not results.json (or the model of this harness) has the field: older results lack it. */
function stepField(step: StepRecord, name: 'stdout' | 'stderr' | 'exit'): unknown {
  return (step as unknown as Record<string, unknown>)[name];
}

function countLines(text: string): number {
  const trimmed = text.replace(/\n$/, '');
  return trimmed === '' ? 0 : trimmed.split('\n').length;
}

function stepModel(step: StepRecord, options: ReportModelOptions, budget: ByteBudget): HtmlStep {
  const exit = stepField(step, 'exit');
  const output: HtmlStep['output'] = [];
  for (const stream of ['stdout', 'stderr'] as const) {
    const raw = stepField(step, stream);
    if (typeof raw !== 'string') continue;
    const text = guestBlock(raw, options.maxStepOutputChars ?? 16 * 1024);
    const granted = budget.take(Buffer.byteLength(text));
    const shown = granted >= Buffer.byteLength(text) ? text : capText(text, granted);
    output.push({
      stream,
      text: shown,
      lines: countLines(raw),
      note: shown === text ? '' : 'shortened: the report reached its size limit; results.json has the rest',
    });
  }
  return {
    location: step.location,
    kind: step.kind,
    status: step.status,
    summary: guestLine(step.summary, 1000),
    duration: `${step.durationMs} ms`,
    exit: typeof exit === 'number' ? `exit ${exit}` : exit === null ? 'no exit status' : '',
    output,
  };
}

async function caseModel(result: CaseResult, index: number, options: ReportModelOptions, budget: ByteBudget): Promise<HtmlCase> {
  const maxValue = options.maxValueChars ?? 16 * 1024;
  const style = VERDICT_STYLES[result.verdict];
  const logs: HtmlCase['logs'] = [];
  for (const name of LOG_ARTIFACTS) {
    const file = result.artifacts[name];
    if (!file) continue;
    const slice = await readArtifactSlice(options.runDir, file, options.maxArtifactBytes ?? 64 * 1024, budget);
    logs.push({ name, slice: { ...slice, path: guestLine(slice.path, 500), text: escapeControl(slice.text, { multiline: true }) } });
  }
  const failure = result.failure;
  return {
    anchor: `case-${index + 1}`,
    verdict: result.verdict,
    verdictLabel: style.label,
    symbol: style.symbol,
    kernelId: result.kernel.id,
    kernelLabel: kernelName(result.kernel),
    suite: result.suite,
    name: guestLine(caseName(result), 500),
    key: guestLine(result.key, 500),
    duration: formatDuration(result.durationMs),
    problem: guestLine(caseProblem(result) ?? '', 1000),
    parameters: Object.entries(result.parameters).map(([name, value]) => [name, guestLine(value, 500)]),
    tags: result.tags,
    reference: result.reference ?? '',
    failure: failure
      ? {
          message: guestBlock(failure.message, maxValue),
          expectation: guestBlock(failure.expectation ?? '', maxValue),
          expected: failure.expected === undefined ? '' : guestBlock(describeValue(failure.expected), maxValue),
          actual: failure.actual === undefined ? '' : guestBlock(describeValue(failure.actual), maxValue),
          location: guestLine(failure.location ?? '', 500),
        }
      : null,
    crash: result.crash
      ? {
          title: guestLine(result.crash.title, 1000),
          kind: guestLine(result.crash.kind, 100),
          taint: guestLine(result.crash.taint ?? '', 200),
          report: guestBlock(result.crash.report, 64 * 1024),
        }
      : null,
    attempts: result.attempts.map((attempt) => ({
      attempt: attempt.attempt,
      verdict: attempt.verdict,
      duration: formatDuration(attempt.durationMs),
      isolation: attempt.isolation,
      why: guestLine(attempt.failure?.message ?? attempt.crash?.title ?? '', 1000),
    })),
    recoveries: recoveryLines(result.attempts).map((line) => guestLine(line, 1000)),
    injections: result.injections.map((injection) => ({
      method: injection.method,
      target: guestLine(
        `${injection.target.kind} pfn ${injection.target.pfn} phys ${injection.target.physAddr}${injection.target.vaddr ? ` vaddr ${injection.target.vaddr}` : ''}`,
        500,
      ),
      action: guestLine(injection.action, 1000),
      window: `${(injection.startedAtMs / 1000).toFixed(3)}–${(injection.endedAtMs / 1000).toFixed(3)} s`,
      result: guestLine(
        injection.result.ok
          ? `ok${injection.result.sigbus ? `, SIGBUS ${injection.result.sigbus.codeName} at ${injection.result.sigbus.addr}` : ''}`
          : `failed${injection.result.errno ? ` ${injection.result.errno}` : ''}${injection.result.message ? `: ${injection.result.message}` : ''}`,
        1000,
      ),
    })),
    events: result.events.map((event) => ({
      at: event.atMs === undefined ? '' : `${(event.atMs / 1000).toFixed(3)} s`,
      type: guestLine(event.type, 200),
      text: guestLine(event.text, 2000),
      fields: guestLine(eventFields(event), 2000),
    })),
    steps: (result.steps ?? []).map((step) => stepModel(step, options, budget)),
    checks: (result.checks ?? []).map((check) => ({
      location: check.location,
      text: guestLine(check.text, 500),
      status: `${check.status}${check.xfail ? ' (xfail)' : ''}`,
      message: guestLine(check.message ?? '', 1000),
    })),
    stateDiff: result.stateDiff ? guestBlock(JSON.stringify(result.stateDiff, null, 2), maxValue) : '',
    logs,
    artifacts: Object.entries(result.artifacts)
      .filter((entry): entry is [string, string] => entry[1] !== undefined)
      .map(([name, file]) => [name, guestLine(file, 500)]),
    comparison: null,
    siblings: [],
  };
}

export async function buildReportModel(run: RunResult, options: ReportModelOptions): Promise<HtmlReportModel> {
  const budget = new ByteBudget(options.maxTotalArtifactBytes ?? 32 * 1024 * 1024);
  const cases: HtmlCase[] = [];
  for (const [index, result] of run.cases.entries()) cases.push(await caseModel(result, index, options, budget));

  const kernels = new Map<string, HtmlReportModel['kernels'][number]>();
  for (const kernel of run.kernels) kernels.set(kernel.id, { id: kernel.id, label: kernelName(kernel), counts: VERDICTS.map(() => 0), total: 0 });
  for (const result of run.cases) {
    let entry = kernels.get(result.kernel.id);
    if (!entry) {
      entry = { id: result.kernel.id, label: kernelName(result.kernel), counts: VERDICTS.map(() => 0), total: 0 };
      kernels.set(result.kernel.id, entry);
    }
    entry.counts[VERDICTS.indexOf(result.verdict)]!++;
    entry.total++;
  }

  const comparison = options.comparison ? indexComparison(options.comparison) : null;
  if (comparison) for (const [index, result] of run.cases.entries()) cases[index]!.comparison = comparison.byCase.get(comparisonSlot(result.kernel.id, result.key)) ?? null;

  const columns = [...kernels.values()];
  const matrix =
    columns.length > 1
      ? buildMatrix(
          run.cases.map((result, index) => ({ result, anchor: cases[index]!.anchor, name: cases[index]!.name, problem: cases[index]!.problem })),
          columns,
          comparison,
        )
      : null;
  if (matrix) {
    const shorts = shortKernelLabels(columns.map((kernel) => kernel.label));
    const rowOf = new Map(matrix.groups.flatMap((group) => group.rows.flatMap((row) => row.cells.filter((cell) => cell.anchor).map((cell) => [cell.anchor!, row] as const))));
    for (const entry of cases) {
      const row = rowOf.get(entry.anchor);
      if (!row) continue;
      entry.siblings = row.cells.map((cell, column) => ({
        anchor: cell.anchor,
        kernelLabel: columns[column]!.label,
        short: shorts[column]!,
        verdict: cell.verdict,
        symbol: cell.symbol,
        word: cell.verdict ? VERDICT_WORDS[cell.verdict] || cell.verdict : 'not run',
        current: cell.anchor === entry.anchor,
      }));
    }
  }

  return {
    title: `memharness ${run.runId}`,
    runId: run.runId,
    harnessVersion: run.harnessVersion,
    startedAt: run.startedAt,
    endedAt: run.endedAt ?? '',
    duration: run.endedAt ? formatDuration(Date.parse(run.endedAt) - Date.parse(run.startedAt)) : '',
    status: run.interrupted ? 'interrupted' : run.complete ? 'complete' : 'incomplete',
    host: `${run.host.hostname} (${run.host.cpus} CPUs, ${run.host.memoryMiB} MiB, ${run.host.kernel})`,
    qemu: run.qemu,
    accel: run.accelerator.accel,
    accelReason: run.accelerator.reason,
    shard: run.shard ? `${run.shard.index} of ${run.shard.total}` : '',
    verdicts: VERDICTS.map((verdict) => ({
      verdict,
      label: VERDICT_STYLES[verdict].label,
      symbol: VERDICT_STYLES[verdict].symbol,
      count: run.cases.filter((result) => result.verdict === verdict).length,
    })),
    bar: verdictBar(run.cases, true),
    kernels: columns,
    suites: [...new Set(run.cases.map((result) => result.suite))].sort(),
    errors: (options.errors ?? run.errors ?? []).map((error) => guestBlock(formatRunError(error), 4096)),
    cases,
    matrix,
    comparison: comparison?.summary ?? null,
  };
}
