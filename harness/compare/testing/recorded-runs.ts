import path from 'node:path';
import { readRunResultFile } from '../../results/read-run-result.ts';
import type { RunResult } from '../../results/run-result.ts';
import { projectRoot } from '../../util/paths.ts';
import type { LoadedRun } from '../compare-runs.ts';

/** The results files in harness/compare/fixtures/, recorded from real runs (README.md there). */
export const RECORDED = {
  fixture61: 'compare-fixture-6.1.json',
  fixture612: 'compare-fixture-6.12.json',
  fixture612Repeat: 'compare-fixture-6.12-repeat.json',
  fixture612Interrupted: 'compare-fixture-6.12-interrupted.json',
  selfTest61: 'self-test-6.1.json',
  selfTest612: 'self-test-6.12.json',
} as const;

export const FIXTURES_DIR = path.join(projectRoot, 'harness', 'compare', 'fixtures');

export async function recordedRun(name: keyof typeof RECORDED): Promise<LoadedRun> {
  const file = path.join(FIXTURES_DIR, RECORDED[name]);
  const run: RunResult = await readRunResultFile(file);
  return { run, ref: `fixtures/${RECORDED[name]}`, file };
}
