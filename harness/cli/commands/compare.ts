import path from 'node:path';
import type { Command } from 'commander';
import { writeComparison } from '../../compare/write-comparison.ts';
import { loadRunRef } from '../../results/load-run-ref.ts';

export { COMPARE_JSON_FILE, COMPARE_MD_FILE } from '../../compare/write-comparison.ts';

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
      process.exitCode = await writeComparison(oldRun, newRun, path.resolve(options.output ?? newRun.dir));
    });
}
