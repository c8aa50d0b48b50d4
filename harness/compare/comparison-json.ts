import { compareExitCode, type Comparison } from './comparison.ts';

/**
 * compare.json: the Comparison as is, versioned, with the exit code compare returned, so a
 * nightly job (or a bot posting to chat) reads the verdict without parsing the Markdown.
 * Case entries carry summaries (verdicts per repeat, crash titles, first failure line), not
 * the cases' full results: those stay in the runs' results.json files it names.
 */
export interface ComparisonJson extends Comparison {
  schemaVersion: 1;
  exitCode: number;
}

export function comparisonJson(comparison: Comparison): ComparisonJson {
  return { schemaVersion: 1, exitCode: compareExitCode(comparison), ...comparison };
}

export function renderComparisonJson(comparison: Comparison): string {
  return `${JSON.stringify(comparisonJson(comparison), null, 2)}\n`;
}
