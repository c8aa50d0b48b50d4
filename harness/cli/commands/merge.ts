import fs from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { createReporters, REPORTER_NAMES } from '../../reporters/create-reporters.ts';
import { replayToReporters } from '../../reporters/replay.ts';
import { loadRunRef } from '../../results/load-run-ref.ts';
import { mergeRunResults } from '../../results/merge-run-results.ts';
import { rebaseArtifacts } from '../../results/rebase-artifacts.ts';
import { RESULTS_FILE } from '../../results/run-dirs.ts';
import { EXIT_INFRA, HarnessError } from '../../util/errors.ts';
import { collect } from '../option-parsers.ts';

/** A merge is done to publish the whole: every report, and the summary on the terminal. */
export const MERGE_DEFAULT_REPORTERS = ['list', 'json', 'junit', 'ktap', 'html'] as const;

interface MergeCliOptions {
  output: string;
  reporter: string[];
  runId?: string;
}

/**
 * `memharness merge DIR... --output DIR`: one run directory from the results of several shards
 * (or partial runs): results.json merged, then the reporters replayed over it. Exit code 0
 * when merged, whatever the cases did (a nightly job goes on to `compare`, which judges them),
 * 2 on bad input (unreadable results, the same case in two shards, a suite that differs
 * between shards) or when a report could not be written.
 */
export function registerMergeCommand(program: Command): void {
  program
    .command('merge')
    .description('merge the results of shards (or partial runs) into one run directory and re-make its reports')
    .argument('<runs...>', 'run directories or results.json files')
    .requiredOption('-o, --output <dir>', 'the merged run directory (must not hold a results.json yet)')
    .option('--reporter <names>', `reporters, comma-separated or repeated: ${REPORTER_NAMES.join(', ')} (default: ${MERGE_DEFAULT_REPORTERS.join(',')})`, collect, [])
    .option('--run-id <id>', "id of the merged run (default: the earliest run's)")
    .action(async (refs: string[], options: MergeCliOptions) => {
      const outputDir = path.resolve(options.output);
      const existing = path.join(outputDir, RESULTS_FILE);
      const loaded = [];
      for (const ref of refs) loaded.push(await loadRunRef(ref));
      if (await fs.stat(existing).then(() => true, () => false)) {
        throw new HarnessError('usage', `${existing} exists: merge writes a new run directory`, { hint: 'give --output an empty or new directory' });
      }
      const merged = mergeRunResults(
        loaded.map((entry) => rebaseArtifacts(entry.run, entry.dir, outputDir)),
        options.runId === undefined ? {} : { runId: options.runId },
      );
      const reporters = createReporters(options.reporter.length > 0 ? options.reporter : [...MERGE_DEFAULT_REPORTERS], {
        outputDir,
        stdout: process.stdout,
        isTTY: Boolean(process.stdout.isTTY),
      });
      await fs.mkdir(outputDir, { recursive: true });
      await replayToReporters(merged, reporters);
      if (reporters.failures.length > 0) process.exitCode = EXIT_INFRA;
    });
}
