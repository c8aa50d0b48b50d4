import { CATEGORIES, countLabel, type CaseComparison, type Category, type Comparison } from '../../compare/comparison.ts';
import { caseName, kernelLabel } from '../case-naming.ts';
import { capText } from '../text/cap-text.ts';
import { escapeControl } from '../text/escape-text.ts';

/**
 * compare's categories as report.html shows them. A cell of the matrix carries a short tag in
 * words (it must read without colour), a tone for its colour, and the reason in full in the
 * case's detail. Still failing and unchanged get no tag: the verdict already says it.
 */
export type CategoryTone = 'bad' | 'good' | 'warn' | 'info' | 'none';

export interface HtmlCategory {
  category: Category;
  /** "new failure": what the legend and the detail say. */
  label: string;
  /** "new", "fixed": in the cell; empty when the verdict says enough. */
  tag: string;
  tone: CategoryTone;
}

const PRESENTATION: Record<Category, { tag: string; tone: CategoryTone }> = {
  'new-failure': { tag: 'new', tone: 'bad' },
  'new-crash': { tag: 'new', tone: 'bad' },
  fixed: { tag: 'fixed', tone: 'good' },
  'still-failing': { tag: '', tone: 'none' },
  flaky: { tag: 'flaky', tone: 'warn' },
  infra: { tag: 'infra', tone: 'warn' },
  'skipped-changed': { tag: 'skip±', tone: 'info' },
  'new-case': { tag: '+ new', tone: 'info' },
  removed: { tag: 'removed', tone: 'info' },
  missing: { tag: 'missing', tone: 'warn' },
  unchanged: { tag: '', tone: 'none' },
};

export function htmlCategory(category: Category): HtmlCategory {
  return { category, label: countLabel(category, 1).replace(/^1 /, ''), ...PRESENTATION[category] };
}

/** One case's comparison, for its detail and its cell. Reasons quote crash titles: guest text. */
export interface HtmlCaseComparison extends HtmlCategory {
  reason: string;
  /** What the baseline did: "passed on 6.1.0-47-amd64", "absent". */
  baseline: string;
}

export interface HtmlComparison {
  baselineRunId: string;
  baselineFile: string;
  regressed: boolean;
  /** Non-zero categories in compare's order; text: "3 new crashes". */
  counts: Array<HtmlCategory & { count: number; text: string }>;
  notes: string[];
  /** Cases of the baseline this run does not have (removed, missing): they have no cell of their own. */
  absent: Array<{ suite: string; name: string; kernelLabel: string; category: HtmlCaseComparison }>;
}

function line(text: string, max: number): string {
  return capText(escapeControl(text), max);
}

function caseComparison(entry: CaseComparison): HtmlCaseComparison {
  const old = entry.old;
  const verdicts = old ? (new Set(old.verdicts).size === 1 && old.verdicts.length > 1 ? `${old.verdicts[0]} ×${old.verdicts.length}` : old.verdicts.join(', ')) : '';
  const baseline = old ? `${verdicts}${entry.oldKernel ? ` on ${kernelLabel(entry.oldKernel)}` : ''}${old.firstLine ? `: ${old.firstLine}` : ''}` : 'not in the baseline';
  return { ...htmlCategory(entry.category), reason: line(entry.reason, 1000), baseline: line(baseline, 1000) };
}

/** Where a case of NEW finds its comparison: by the kernel it ran on and its key. */
export function comparisonSlot(kernelId: string, key: string): string {
  return JSON.stringify([kernelId, key]);
}

export interface ComparisonIndex {
  summary: HtmlComparison;
  /** By comparisonSlot(new kernel id, key): every repeat of a case shares its category. */
  byCase: Map<string, HtmlCaseComparison>;
  /** Cases without results in NEW, by the slot of the kernel they would have run on. */
  absentBySlot: Map<string, HtmlCaseComparison>;
}

export function indexComparison(comparison: Comparison): ComparisonIndex {
  const byCase = new Map<string, HtmlCaseComparison>();
  const absentBySlot = new Map<string, HtmlCaseComparison>();
  const absent: HtmlComparison['absent'] = [];
  for (const entry of comparison.cases) {
    const model = caseComparison(entry);
    if (entry.new && entry.newKernel) {
      byCase.set(comparisonSlot(entry.newKernel.id, entry.key), model);
      continue;
    }
    if (entry.newKernel) absentBySlot.set(comparisonSlot(entry.newKernel.id, entry.key), model);
    const kernel = entry.newKernel ?? entry.oldKernel;
    absent.push({
      suite: line(entry.suite, 200),
      name: line(caseName({ title: entry.title, parameters: entry.parameters, repeatIndex: 0 }), 500),
      kernelLabel: kernel ? line(kernelLabel(kernel), 200) : '',
      category: model,
    });
  }
  const counts = CATEGORIES.filter((category) => comparison.counts[category] > 0).map((category) => ({ ...htmlCategory(category), count: comparison.counts[category], text: countLabel(category, comparison.counts[category]) }));
  return {
    summary: {
      baselineRunId: line(comparison.old.runId, 200),
      baselineFile: line(comparison.old.file, 500),
      regressed: comparison.regressed,
      counts,
      notes: comparison.notes.map((note) => line(note, 1000)),
      absent,
    },
    byCase,
    absentBySlot,
  };
}
