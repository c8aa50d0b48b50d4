import path from 'node:path';
import { compareRuns, type LoadedRun } from '../../compare/compare-runs.ts';
import type { Comparison } from '../../compare/comparison.ts';
import { recordedRun } from '../../compare/testing/recorded-runs.ts';
import { mergeRunResults } from '../../results/merge-run-results.ts';
import type { RunResult } from '../../results/run-result.ts';

/**
 * A run over two kernels made only of recorded runs (harness/compare/fixtures/): the
 * compare-fixture suite and the runner's self-test with hwpoison-basic and soft-offline-basic,
 * each on Debian 6.1.0-47 and 6.12.117, merged as `memharness merge` merges shards. Compared
 * with the 6.12 compare-fixture run as its baseline, as `compare-merge-commands.test.ts` does:
 * the night a 6.1 build and more suites joined the nightly. No verdict is made up here.
 */
export async function recordedNightly(runDir: string): Promise<{ run: RunResult; comparison: Comparison }> {
  const parts = await Promise.all((['fixture61', 'fixture612', 'selfTest61', 'selfTest612'] as const).map((name) => recordedRun(name)));
  const run = mergeRunResults(parts.map((part) => part.run));
  const loaded: LoadedRun = { run, ref: runDir, file: path.join(runDir, 'results.json') };
  return { run, comparison: compareRuns(await recordedRun('fixture612'), loaded) };
}
