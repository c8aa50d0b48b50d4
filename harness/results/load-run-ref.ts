import fs from 'node:fs/promises';
import path from 'node:path';
import { HarnessError } from '../util/errors.ts';
import { readRunResultFile } from './read-run-result.ts';
import { defaultResultsRoot, RESULTS_FILE, resolveRunDir } from './run-dirs.ts';
import { isRunId } from './run-id.ts';
import type { RunResult } from './run-result.ts';

export interface LoadedRunRef {
  run: RunResult;
  /** The argument as given. */
  ref: string;
  /** The results file read. */
  file: string;
  /** The directory the file is in: where the run's artifacts are, relative to which they are named. */
  dir: string;
}

/**
 * A run named on the command line: a run directory, a results file under any name (a
 * baseline kept as `baselines/6.1.json`), or, when no such path exists, `latest` or a run id
 * under the results root. Errors are usage errors naming the path and what is wrong with it.
 */
export async function loadRunRef(ref: string, resultsRoot: string = defaultResultsRoot): Promise<LoadedRunRef> {
  let target = path.resolve(ref);
  let stat = await fs.stat(target).catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? null : Promise.reject(error)));
  if (!stat && (ref === 'latest' || isRunId(ref))) {
    target = await resolveRunDir(ref, resultsRoot);
    stat = await fs.stat(target).catch(() => null);
  }
  if (!stat) throw new HarnessError('usage', `${ref}: no such file or directory`, { hint: 'give a run directory, a results.json file, `latest` or a run id' });
  const file = stat.isDirectory() ? path.join(target, RESULTS_FILE) : target;
  const run = await readRunResultFile(file);
  return { run, ref, file, dir: path.dirname(file) };
}
