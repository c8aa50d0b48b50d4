import fs from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../results/atomic-write.ts';
import type { LoadedRunRef } from '../results/load-run-ref.ts';
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
 * `run --baseline`.
 */
export async function writeComparison(oldRun: LoadedRunRef, newRun: LoadedRunRef, outputDir: string, stdout: { write(text: string): unknown } = process.stdout): Promise<number> {
  const comparison = compareRuns(oldRun, newRun);
  await fs.mkdir(outputDir, { recursive: true });
  await writeFileAtomic(path.join(outputDir, COMPARE_JSON_FILE), renderComparisonJson(comparison));
  await writeFileAtomic(path.join(outputDir, COMPARE_MD_FILE), renderMarkdown(comparison));
  stdout.write(renderText(comparison));
  stdout.write(`\n${path.join(outputDir, COMPARE_MD_FILE)}\n${path.join(outputDir, COMPARE_JSON_FILE)}\n`);
  return compareExitCode(comparison);
}
