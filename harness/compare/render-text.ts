import { kernelLabel } from '../reporters/case-naming.ts';
import { categoryHeading, countsLine, type CaseComparison, type Category, type Comparison, type RunSummary } from './comparison.ts';

/** Longest line a chat message shows whole; failure messages run to several hundred characters. */
const MAX_LINE = 200;

export function clip(text: string, max = MAX_LINE): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, max - 1)}…`;
}

/** The kernel a case line names: NEW's, else OLD's (the notes say when the two differ). */
export function caseKernel(entry: CaseComparison): string {
  const kernel = entry.newKernel ?? entry.oldKernel;
  return kernel ? kernelLabel(kernel) : '?';
}

/** What a reader of a regression wants first: the failure (or crash) of the NEW side. */
export function detailLine(entry: CaseComparison): string | undefined {
  const side = entry.new ?? entry.old;
  if (!side) return undefined;
  if (entry.category === 'new-crash') return side.crashTitles[0] ?? side.firstLine;
  return side.firstLine;
}

export function runState(run: RunSummary): string {
  const state = run.interrupted ? 'interrupted' : !run.complete ? 'incomplete' : run.stopReason ? `stopped: ${run.stopReason}` : 'complete';
  return `${run.cases} case${run.cases === 1 ? '' : 's'}, ${state}${run.shard ? `, shard ${run.shard.index}/${run.shard.total}` : ''}`;
}

export function runKernels(run: RunSummary): string {
  return run.kernels.map(kernelLabel).join(', ') || 'no kernel';
}

export function describeRun(run: RunSummary): string {
  return `${run.runId}  ${runKernels(run)}  (${runState(run)})`;
}

/** The categories the short summary spells out case by case; the rest are counts only. */
const SPELLED_OUT: readonly Category[] = ['new-failure', 'new-crash'];

/**
 * The summary for a terminal, a mail or a chat message: the counts, the two runs, the notes,
 * then every regression and new crash with the first line of what went wrong. Plain text,
 * no colour: it is meant to be pasted.
 */
export function renderText(comparison: Comparison): string {
  const lines = [`memharness compare: ${countsLine(comparison.counts)}`];
  lines.push(`OLD ${describeRun(comparison.old)}`);
  lines.push(`NEW ${describeRun(comparison.new)}`);
  for (const note of comparison.notes) lines.push(`note: ${note}`);
  for (const category of SPELLED_OUT) {
    const entries = comparison.cases.filter((entry) => entry.category === category);
    if (entries.length === 0) continue;
    lines.push('', `${categoryHeading(category)} (${entries.length}):`);
    for (const entry of entries) {
      lines.push(`  ${entry.key} [${caseKernel(entry)}]: ${clip(entry.reason)}`);
      const detail = detailLine(entry);
      if (detail && !entry.reason.includes(detail)) lines.push(`    ${clip(detail)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
