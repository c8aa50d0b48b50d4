import fs from 'node:fs/promises';
import path from 'node:path';
import { HarnessError } from '../util/errors.ts';
import { projectRoot } from '../util/paths.ts';
import { compareRunIds, isRunId, newRunId } from './run-id.ts';

export const RESULTS_FILE = 'results.json';

/** Where runs go unless --output says otherwise. */
export const defaultResultsRoot: string = path.join(projectRoot, 'results');

export interface RunDir {
  runId: string;
  dir: string;
}

/**
 * Makes results/<run-id>/. The directory is created exclusively, so two runs started in the
 * same second with the same random suffix cannot share one; the second simply draws again.
 */
export async function createRunDir(resultsRoot: string = defaultResultsRoot, now: Date = new Date()): Promise<RunDir> {
  await fs.mkdir(resultsRoot, { recursive: true });
  for (let tries = 0; tries < 20; tries++) {
    const runId = newRunId(now);
    const dir = path.join(resultsRoot, runId);
    try {
      await fs.mkdir(dir);
      return { runId, dir };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  throw new HarnessError('usage', `could not create a new run directory under ${resultsRoot}: every name tried exists`);
}

/** Run ids under the results root that hold a results.json, oldest first. */
export async function listRunIds(resultsRoot: string = defaultResultsRoot): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(resultsRoot);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const runs: string[] = [];
  for (const name of names.filter(isRunId)) {
    try {
      await fs.access(path.join(resultsRoot, name, RESULTS_FILE));
      runs.push(name);
    } catch {
      // A directory whose run died before its first write holds nothing to read.
    }
  }
  return runs.sort(compareRunIds);
}

/** The newest run with a results.json, or null when there is none. */
export async function latestRunId(resultsRoot: string = defaultResultsRoot): Promise<string | null> {
  return (await listRunIds(resultsRoot)).at(-1) ?? null;
}

/**
 * A run as the user names it on the command line: `latest`, a run id, or a path to a run
 * directory (or its results.json).
 */
export async function resolveRunDir(ref: string, resultsRoot: string = defaultResultsRoot): Promise<string> {
  if (ref === 'latest') {
    const latest = await latestRunId(resultsRoot);
    if (!latest) throw new HarnessError('usage', `no runs under ${resultsRoot}`, { hint: 'run a suite first, or pass a results directory' });
    return path.join(resultsRoot, latest);
  }
  if (isRunId(ref)) return path.join(resultsRoot, ref);
  return path.basename(ref) === RESULTS_FILE ? path.dirname(path.resolve(ref)) : path.resolve(ref);
}

/**
 * --keep N: deletes the oldest run directories under the results root so that N remain,
 * never one in `protect` (the run just written, the baseline it was compared with). Only
 * directories named like run ids are touched; returns the ids removed.
 */
export async function pruneRuns(keep: number, options: { resultsRoot?: string; protect?: readonly string[] } = {}): Promise<string[]> {
  const resultsRoot = options.resultsRoot ?? defaultResultsRoot;
  const protect = new Set((options.protect ?? []).map((dir) => path.resolve(dir)));
  let names: string[];
  try {
    names = (await fs.readdir(resultsRoot)).filter(isRunId).sort(compareRunIds);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const doomed = names.slice(0, Math.max(0, names.length - keep)).filter((name) => !protect.has(path.resolve(resultsRoot, name)));
  for (const name of doomed) await fs.rm(path.join(resultsRoot, name), { recursive: true, force: true });
  return doomed;
}
