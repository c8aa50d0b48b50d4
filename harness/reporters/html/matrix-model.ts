import { VERDICTS, type CaseResult, type Verdict } from '../../results/run-result.ts';
import { caseName } from '../case-naming.ts';
import { capText } from '../text/cap-text.ts';
import { escapeControl } from '../text/escape-text.ts';
import { VERDICT_STYLES } from '../verdict-style.ts';
import { comparisonSlot, type ComparisonIndex, type HtmlCaseComparison } from './comparison-model.ts';

/**
 * The case × kernel matrix: one row per case (with its parameters and repeat), one column per
 * kernel, one cell per verdict. What a nightly over a series of builds is read from: which
 * cases fail, on which builds, and which changed since the baseline.
 */

/** In a cell, after the symbol: a word, so ✓ passed and ✓ xfail (or ✘ failed and ✘ xpass) differ without colour. */
export const VERDICT_WORDS: Readonly<Record<Verdict, string>> = {
  passed: '',
  failed: 'fail',
  xfail: 'xfail',
  xpass: 'xpass',
  skipped: 'skip',
  crashed: 'crash',
  'infra-error': 'infra',
  flaky: 'flaky',
};

export interface MatrixCell {
  kernelId: string;
  /** The anchor of the case's detail; null when the case has no result on this kernel. */
  anchor: string | null;
  verdict: Verdict | null;
  symbol: string;
  word: string;
  /** The tooltip: kernel, verdict, why, and the comparison when there is one. */
  title: string;
  category: HtmlCaseComparison | null;
}

export interface MatrixRow {
  id: string;
  /** Not shown: what the row is looked up and sorted by. */
  key: string;
  repeatIndex: number;
  suite: string;
  name: string;
  search: string;
  /** Its kernels do not all agree (a case that passes on some builds only). */
  differs: boolean;
  cells: MatrixCell[];
}

export interface MatrixKernel {
  id: string;
  label: string;
  /** The label without what every column shares (`-amd64`): columns stay narrow. */
  short: string;
  total: number;
  /** Results that are not passed, xfail or skipped. */
  problems: number;
  /** The kernel's verdicts as stacked segments (verdictBar). */
  bar: Array<{ verdict: Verdict; x: string; width: string; count: number }>;
}

export interface HtmlMatrix {
  kernels: MatrixKernel[];
  groups: Array<{ suite: string; rows: MatrixRow[] }>;
  rowCount: number;
}

export interface MatrixCase {
  result: CaseResult;
  anchor: string;
  name: string;
  problem: string;
}

/** Strips the longest `-…` suffix all labels share ("-amd64"), when every label keeps something. */
export function shortKernelLabels(labels: readonly string[]): string[] {
  if (labels.length < 2) return [...labels];
  let suffix = labels[0]!;
  for (const label of labels) {
    let length = 0;
    while (length < suffix.length && length < label.length && suffix[suffix.length - 1 - length] === label[label.length - 1 - length]) length++;
    suffix = suffix.slice(suffix.length - length);
  }
  const dash = suffix.indexOf('-');
  if (dash < 0) return [...labels];
  const cut = suffix.slice(dash);
  if (labels.some((label) => label.length <= cut.length)) return [...labels];
  return labels.map((label) => label.slice(0, label.length - cut.length));
}

const PROBLEM_FREE: ReadonlySet<Verdict> = new Set(['passed', 'xfail', 'skipped']);

/**
 * Verdicts as stacked segments of a bar, x and width out of 100 (an SVG's user units or, with
 * `percent`, its width): attributes, since the CSP allows no inline style.
 */
export function verdictBar(results: readonly Pick<CaseResult, 'verdict'>[], percent = false): MatrixKernel['bar'] {
  const segments: MatrixKernel['bar'] = [];
  const unit = percent ? '%' : '';
  let x = 0;
  for (const verdict of VERDICTS) {
    const count = results.filter((result) => result.verdict === verdict).length;
    if (count === 0) continue;
    const width = (count / results.length) * 100;
    segments.push({ verdict, x: `${x.toFixed(2)}${unit}`, width: `${width.toFixed(2)}${unit}`, count });
    x += width;
  }
  return segments;
}

function rowId(result: Pick<CaseResult, 'key' | 'repeatIndex'>): string {
  return JSON.stringify([result.key, result.repeatIndex]);
}

export function buildMatrix(cases: readonly MatrixCase[], kernels: ReadonlyArray<{ id: string; label: string }>, comparison: ComparisonIndex | null): HtmlMatrix {
  const shorts = shortKernelLabels(kernels.map((kernel) => kernel.label));
  const column = new Map(kernels.map((kernel, index) => [kernel.id, index]));
  const rows = new Map<string, MatrixRow>();
  const suites: string[] = [];
  for (const entry of cases) {
    const { result } = entry;
    const id = rowId(result);
    let row = rows.get(id);
    if (!row) {
      const name = capText(escapeControl(caseName(result)), 500);
      row = {
        id,
        key: result.key,
        repeatIndex: result.repeatIndex,
        suite: result.suite,
        name,
        search: `${result.suite} ${name} ${capText(escapeControl(result.key), 500)}`.toLowerCase(),
        differs: false,
        cells: kernels.map((kernel) => ({ kernelId: kernel.id, anchor: null, verdict: null, symbol: '', word: '', title: `${kernel.label}: not run`, category: null })),
      };
      rows.set(id, row);
      if (!suites.includes(result.suite)) suites.push(result.suite);
    }
    const index = column.get(result.kernel.id);
    if (index === undefined || row.cells[index]!.anchor !== null) continue;
    const category = comparison?.byCase.get(comparisonSlot(result.kernel.id, result.key)) ?? null;
    const style = VERDICT_STYLES[result.verdict];
    const why = entry.problem ? `: ${entry.problem}` : '';
    const compared = category ? ` | vs baseline: ${category.label}, ${category.reason}` : '';
    row.cells[index] = {
      kernelId: result.kernel.id,
      anchor: entry.anchor,
      verdict: result.verdict,
      symbol: style.symbol,
      word: VERDICT_WORDS[result.verdict],
      title: capText(`${kernels[index]!.label}: ${style.label}${why}${compared}`, 1200),
      category,
    };
  }
  // A case the baseline had on a kernel this run left out: the cell says so, the list below the matrix says why.
  if (comparison) {
    for (const row of rows.values()) {
      row.cells.forEach((cell, index) => {
        if (cell.anchor !== null) return;
        const absent = comparison.absentBySlot.get(comparisonSlot(cell.kernelId, row.key));
        if (absent) row.cells[index] = { ...cell, title: `${kernels[index]!.label}: ${absent.label}, ${absent.reason}`, category: absent };
      });
    }
  }
  for (const row of rows.values()) row.differs = new Set(row.cells.map((cell) => cell.verdict)).size > 1;

  const byKernel = new Map<string, CaseResult[]>(kernels.map((kernel) => [kernel.id, []]));
  for (const entry of cases) byKernel.get(entry.result.kernel.id)?.push(entry.result);
  const groups = [...suites].sort().map((suite) => ({
    suite,
    rows: [...rows.values()].filter((row) => row.suite === suite).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.repeatIndex - b.repeatIndex)),
  }));
  return {
    kernels: kernels.map((kernel, index) => {
      const results = byKernel.get(kernel.id) ?? [];
      return {
        id: kernel.id,
        label: kernel.label,
        short: shorts[index]!,
        total: results.length,
        problems: results.filter((result) => !PROBLEM_FREE.has(result.verdict)).length,
        bar: verdictBar(results),
      };
    }),
    groups,
    rowCount: rows.size,
  };
}
