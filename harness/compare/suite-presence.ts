import path from 'node:path';
import type { RunResult, SuiteFileInfo } from '../results/run-result.ts';

/**
 * Whether NEW planned the suite a case of OLD belongs to, and whether its file is the one OLD
 * ran: what tells a case NEW never reached (missing) from one that is gone (removed).
 *
 * - `same`: NEW lists the suite file with OLD's content hash, so NEW planned the case;
 * - `changed`: NEW lists it with another hash: the case may have been edited away;
 * - `absent`: NEW ran neither the file nor any case of the suite;
 * - `unknown`: OLD's file for the suite cannot be told (results do not record which file a
 *   suite id came from; see suiteFileOf).
 */
export type SuitePresence = 'same' | 'changed' | 'absent' | 'unknown';

function stem(file: string): string {
  return path.basename(file).replace(/\.ya?ml$/i, '');
}

/**
 * The suite file a suite id came from. Results keep suite ids on cases and file paths in the
 * run, not the link between them; by convention (every suite in this repository) a suite's
 * file is named after its id, so the file whose name is the id is taken, or none.
 */
export function suiteFileOf(run: RunResult, suiteId: string): SuiteFileInfo | undefined {
  const named = run.suites.filter((suite) => stem(suite.path) === suiteId);
  return named.length === 1 ? named[0] : undefined;
}

export function suitePresence(oldRun: RunResult, newRun: RunResult, suiteId: string): SuitePresence {
  const oldFile = suiteFileOf(oldRun, suiteId);
  const newFile = suiteFileOf(newRun, suiteId) ?? (oldFile ? newRun.suites.find((suite) => suite.path === oldFile.path) : undefined);
  const newHasCases = newRun.cases.some((result) => result.suite === suiteId);
  if (!newFile) return newHasCases || !oldFile ? 'unknown' : 'absent';
  if (!oldFile) return 'unknown';
  return oldFile.sha256 === newFile.sha256 ? 'same' : 'changed';
}
