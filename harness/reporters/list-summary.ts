import path from 'node:path';
import { KERNEL_FAILURE_VERDICTS, VERDICTS, type CaseResult, type RunResult, type Verdict } from '../results/run-result.ts';
import { caseLongName, kernelLabel } from './case-naming.ts';
import { caseProblem } from './case-problem.ts';
import { formatRunError, type RunError } from './reporter.ts';
import { capText } from './text/cap-text.ts';
import type { Paint } from './text/colours.ts';
import { escapeControl } from './text/escape-text.ts';
import { formatDuration } from './text/format-duration.ts';
import { VERDICT_STYLES } from './verdict-style.ts';

export interface SummaryOptions {
  paint: Paint;
  errors: readonly RunError[];
  /** Where results.json and the other reports are. */
  outputDir?: string;
  /** Wall time of the run when endedAt is not known (interrupted runs). */
  elapsedMs?: number;
  slowest?: number;
  maxMessageChars?: number;
  cwd?: string;
}

function countVerdicts(cases: readonly CaseResult[]): Map<Verdict, number> {
  const counts = new Map<Verdict, number>();
  for (const result of cases) counts.set(result.verdict, (counts.get(result.verdict) ?? 0) + 1);
  return counts;
}

function formatCounts(counts: Map<Verdict, number>, paint: Paint): string {
  return VERDICTS.filter((verdict) => counts.get(verdict))
    .map((verdict) => paint[VERDICT_STYLES[verdict].colour](`${counts.get(verdict)} ${verdict}`))
    .join(', ');
}

function elapsed(run: RunResult, fallback: number | undefined): number | undefined {
  if (run.endedAt) return Date.parse(run.endedAt) - Date.parse(run.startedAt);
  return fallback;
}

/** The closing block of the list reporter: what ran, what went wrong and whose fault, where it all is. */
export function summaryLines(run: RunResult, options: SummaryOptions): string[] {
  const { paint } = options;
  const maxChars = options.maxMessageChars ?? 300;
  const line = (result: CaseResult) => {
    const problem = caseProblem(result);
    const text = `${caseLongName(result)}${problem ? `: ${problem}` : ''}`;
    return `    ${paint[VERDICT_STYLES[result.verdict].colour](VERDICT_STYLES[result.verdict].symbol)} ${capText(escapeControl(text), maxChars)}`;
  };
  const lines: string[] = [''];
  const took = elapsed(run, options.elapsedMs);
  const kernels = new Set(run.cases.map((result) => result.kernel.id));
  lines.push(
    paint.bold(
      `${run.cases.length} case${run.cases.length === 1 ? '' : 's'} on ${kernels.size} kernel${kernels.size === 1 ? '' : 's'}` +
        `${took === undefined ? '' : ` in ${formatDuration(took)}`}${run.workers && run.workers > 1 ? ` on ${run.workers} workers` : ''}, accel ${run.accelerator.accel}`,
    ) + paint.dim(` (${escapeControl(run.accelerator.reason)})`),
  );
  const counts = formatCounts(countVerdicts(run.cases), paint);
  if (counts) lines.push(`  ${counts}`);

  if (kernels.size > 1) {
    lines.push('  per kernel:');
    const byKernel = new Map<string, CaseResult[]>();
    for (const result of run.cases) byKernel.set(result.kernel.id, [...(byKernel.get(result.kernel.id) ?? []), result]);
    const width = Math.max(...[...byKernel.values()].map((cases) => kernelLabel(cases[0]!.kernel).length));
    for (const cases of byKernel.values()) lines.push(`    ${kernelLabel(cases[0]!.kernel).padEnd(width)}  ${formatCounts(countVerdicts(cases), paint)}`);
  }

  const section = (title: string, cases: CaseResult[]) => {
    if (cases.length === 0) return;
    lines.push(`  ${title} (${cases.length}):`);
    for (const result of cases) lines.push(line(result));
  };
  section(paint.red('kernel failures'), run.cases.filter((result) => KERNEL_FAILURE_VERDICTS.includes(result.verdict)));
  section(paint.magenta('infra errors, not kernel failures'), run.cases.filter((result) => result.verdict === 'infra-error'));
  section(paint.yellow('flaky'), run.cases.filter((result) => result.verdict === 'flaky'));
  if (options.errors.length > 0) {
    lines.push(`  ${paint.magenta('errors outside any case')} (${options.errors.length}):`);
    for (const error of options.errors) lines.push(`    ! ${capText(escapeControl(formatRunError(error)), maxChars)}`);
  }

  const slowest = [...run.cases]
    .filter((result) => result.verdict !== 'skipped')
    .sort((a, b) => b.durationMs - a.durationMs)
    .slice(0, options.slowest ?? 5);
  if (slowest.length > 1) {
    lines.push('  slowest:');
    const width = Math.max(...slowest.map((result) => formatDuration(result.durationMs).length));
    for (const result of slowest) lines.push(`    ${formatDuration(result.durationMs).padStart(width)}  ${capText(escapeControl(caseLongName(result)), maxChars)}`);
  }

  if (run.stopReason) lines.push(paint.yellow(`  stopped early: ${escapeControl(run.stopReason)}`));
  if (run.interrupted) lines.push(paint.yellow(`  interrupted: the results hold the ${run.cases.length} cases that finished`));
  else if (!run.complete) lines.push(paint.yellow(`  incomplete: the results hold the ${run.cases.length} cases that finished`));
  if (options.outputDir) {
    const shown = path.relative(options.cwd ?? process.cwd(), options.outputDir) || '.';
    lines.push(`  results: ${shown.startsWith('..') ? options.outputDir : shown}${path.sep}`);
  }
  return lines;
}
