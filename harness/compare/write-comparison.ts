import fs from 'node:fs/promises';
import path from 'node:path';
import { addComparisonToHtmlReport } from '../reporters/html-reporter.ts';
import { writeFileAtomic } from '../results/atomic-write.ts';
import type { LoadedRunRef } from '../results/load-run-ref.ts';
import { RESULTS_FILE } from '../results/run-dirs.ts';
import { renderComparisonJson } from './comparison-json.ts';
import { compareExitCode } from './comparison.ts';
import { compareRuns } from './compare-runs.ts';
import { renderMarkdown } from './render-markdown.ts';
import { renderText } from './render-text.ts';

export const COMPARE_JSON_FILE = 'compare.json';
export const COMPARE_MD_FILE = 'compare.md';

/**
 * Compares two loaded runs, writes compare.json and compare.md into `outputDir`, prints the
 * summary, and returns compare's exit code (1: the kernel regressed). Shared by `compare` and
 * `run --baseline`. When `outputDir` is NEW's own run directory and holds a report.html, the
 * report is made again with the categories (the HTML reporter ran before there was a
 * comparison); a report elsewhere, or of another results file, is left alone.
 */
export async function writeComparison(oldRun: LoadedRunRef, newRun: LoadedRunRef, outputDir: string, stdout: { write(text: string): unknown } = process.stdout): Promise<number> {
  const comparison = compareRuns(oldRun, newRun);
  await fs.mkdir(outputDir, { recursive: true });
  await writeFileAtomic(path.join(outputDir, COMPARE_JSON_FILE), renderComparisonJson(comparison));
  await writeFileAtomic(path.join(outputDir, COMPARE_MD_FILE), renderMarkdown(comparison));
  const ownRunDir = path.resolve(outputDir) === path.resolve(newRun.dir) && path.basename(newRun.file) === RESULTS_FILE;
  // A report that cannot be made again must not cost the verdict: compare.json is what a job reads.
  const report = ownRunDir
    ? await addComparisonToHtmlReport(outputDir, newRun.run, comparison).catch((error: unknown) => {
        process.stderr.write(`memharness: report.html was not updated with the comparison: ${error instanceof Error ? error.message : String(error)}\n`);
        return null;
      })
    : null;
  stdout.write(renderText(comparison));
  stdout.write(`\n${path.join(outputDir, COMPARE_MD_FILE)}\n${path.join(outputDir, COMPARE_JSON_FILE)}\n${report ? `${report} (updated with the comparison)\n` : ''}`);
  return compareExitCode(comparison);
}
