import fs from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { renderComparisonJson } from '../../compare/comparison-json.ts';
import { compareExitCode } from '../../compare/comparison.ts';
import { compareRuns } from '../../compare/compare-runs.ts';
import { renderMarkdown } from '../../compare/render-markdown.ts';
import { renderText } from '../../compare/render-text.ts';
import { writeFileAtomic } from '../../results/atomic-write.ts';
import { loadRunRef } from '../../results/load-run-ref.ts';

export const COMPARE_JSON_FILE = 'compare.json';
export const COMPARE_MD_FILE = 'compare.md';

/**
 * `memharness compare OLD NEW`: classifies every case of two runs (new failure, new crash,
 * fixed, still failing, flaky, infra-only, skip changed, new, removed, missing), prints a
 * summary fit for a mail or chat message and writes compare.json and compare.md. Exit code: 1
 * when the kernel regressed (a new failure or a new crash), 2 on bad input, else 0.
 */
export function registerCompareCommand(program: Command): void {
  program
    .command('compare')
    .description('compare two runs case by case: regressions, new crashes, fixes, flaky, missing; writes compare.json and compare.md')
    .argument('<old>', 'the baseline: a run directory, a results.json (under any name), `latest` or a run id')
    .argument('<new>', 'the run to judge: a run directory, a results.json, `latest` or a run id')
    .option('-o, --output <dir>', "where compare.json and compare.md go (default: NEW's directory)")
    .action(async (oldRef: string, newRef: string, options: { output?: string }) => {
      // Both are read before anything is written: a bad NEW must not leave a half-done report.
      const oldRun = await loadRunRef(oldRef);
      const newRun = await loadRunRef(newRef);
      const comparison = compareRuns(oldRun, newRun);
      const outputDir = path.resolve(options.output ?? newRun.dir);
      await fs.mkdir(outputDir, { recursive: true });
      await writeFileAtomic(path.join(outputDir, COMPARE_JSON_FILE), renderComparisonJson(comparison));
      await writeFileAtomic(path.join(outputDir, COMPARE_MD_FILE), renderMarkdown(comparison));
      process.stdout.write(renderText(comparison));
      process.stdout.write(`\n${path.join(outputDir, COMPARE_MD_FILE)}\n${path.join(outputDir, COMPARE_JSON_FILE)}\n`);
      process.exitCode = compareExitCode(comparison);
    });
}
