import { CATEGORIES, categoryHeading, countsLine, type CaseComparison, type Comparison } from './comparison.ts';
import { caseKernel, clip, detailLine, runKernels, runState } from './render-text.ts';

/**
 * Text that Markdown must show as written: kernel messages carry `*`, `_`, `[`, `|`, `<`.
 * Only characters that act inside a line are escaped (every line here starts with our own
 * text), so the file stays readable as plain text too.
 */
export function mdText(text: string): string {
  return text.replace(/[\\`*_[\]<>|~]/g, (char) => `\\${char}`);
}

/** An inline code span that survives backticks inside it (CommonMark: a longer fence). */
export function mdCode(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ');
  const longest = Math.max(0, ...[...oneLine.matchAll(/`+/g)].map((match) => match[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = oneLine.startsWith('`') || oneLine.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${oneLine}${pad}${fence}`;
}

function caseItem(entry: CaseComparison): string[] {
  const lines = [`- ${mdCode(entry.key)} on ${mdText(caseKernel(entry))}: ${mdText(clip(entry.reason))}`];
  const detail = detailLine(entry);
  if (detail && !entry.reason.includes(detail)) {
    const side = entry.new ?? entry.old;
    const at = side?.location && !detail.includes(side.location) ? ` (${mdText(side.location)})` : '';
    lines.push(`  ${mdCode(clip(detail, 400))}${at}`);
  }
  return lines;
}

/**
 * compare.md: the text summary's content for a page or a merge request comment, with every
 * category but "unchanged" listed case by case, regressions first.
 */
export function renderMarkdown(comparison: Comparison): string {
  const regressed = comparison.regressed ? 'Regressed' : 'No regression';
  const out = [`# memharness compare: ${regressed}`, '', countsLine(comparison.counts), ''];
  out.push('| | run | kernels | cases |', '| --- | --- | --- | --- |');
  for (const [label, run] of [['OLD', comparison.old], ['NEW', comparison.new]] as const) {
    out.push(`| ${label} | ${mdCode(run.runId)} | ${mdText(runKernels(run))} | ${mdText(runState(run))} |`);
  }
  if (comparison.notes.length > 0) {
    out.push('');
    for (const note of comparison.notes) out.push(`> **Note:** ${mdText(note)}  `);
  }
  for (const category of CATEGORIES) {
    if (category === 'unchanged') continue;
    const entries = comparison.cases.filter((entry) => entry.category === category);
    if (entries.length === 0) continue;
    out.push('', `## ${categoryHeading(category)} (${entries.length})`, '');
    for (const entry of entries) out.push(...caseItem(entry));
  }
  return `${out.join('\n')}\n`;
}
