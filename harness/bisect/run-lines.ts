import type { ClassifiedRun } from './run-classification.ts';

type ShownRun = Pick<ClassifiedRun, 'repeatIndex' | 'why' | 'reason'>;

/** Runs of a round that counted the same way for the same reason; `runs` are 1-based. */
export interface RunGroup {
  why: string;
  reason?: string;
  runs: number[];
}

/** A round's runs grouped by how they counted and why, in the order each first appears. */
export function groupRuns(runs: readonly ShownRun[]): RunGroup[] {
  const groups = new Map<string, RunGroup>();
  for (const run of runs) {
    const key = JSON.stringify([run.why, run.reason ?? null]);
    let group = groups.get(key);
    if (!group) {
      group = { why: run.why, ...(run.reason ? { reason: run.reason } : {}), runs: [] };
      groups.set(key, group);
    }
    group.runs.push(run.repeatIndex + 1);
  }
  return [...groups.values()];
}

const times = (group: RunGroup) => (group.runs.length > 1 ? ` ×${group.runs.length}` : '');

/** How each run of a round counted, in one line: "failed, failed, passed". */
export function roundSummary(runs: readonly ShownRun[]): string {
  return runs.map((run) => run.why).join(', ');
}

/** The reasons of a round, one line per distinct one: "run 1 failed: …", "runs 2, 3 skipped: …". */
export function reasonLines(runs: readonly ShownRun[]): string[] {
  return groupRuns(runs)
    .filter((group) => group.reason)
    .map((group) => `run${group.runs.length > 1 ? 's' : ''} ${group.runs.join(', ')} ${group.why}: ${group.reason}`);
}

/** Runs in one line of plain text (terminal, endpoint problem): "failed ×2: …; passed". */
export function plainRuns(runs: readonly ShownRun[]): string {
  return groupRuns(runs)
    .map((group) => `${group.why}${times(group)}${group.reason ? `: ${group.reason}` : ''}`)
    .join('; ');
}

/**
 * Text as a markdown code span: literal whatever it holds (`*`, `_`, `<`, `&`, `[`), its
 * fence longer than any run of backticks in it, padded when it starts or ends with one.
 * In a table cell `|` still needs escaping (markdownCell).
 */
export function markdownCode(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') || text.trim() === '' ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

/** Text in a markdown table cell: pipes escaped (also inside code spans, as GFM wants), lines joined. */
export function markdownCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** A round's runs for a markdown table cell (before markdownCell): "failed ×2 `…`, passed". */
export function markdownRuns(runs: readonly ShownRun[]): string {
  return groupRuns(runs)
    .map((group) => `${group.why}${times(group)}${group.reason ? ` ${markdownCode(group.reason)}` : ''}`)
    .join(', ');
}
