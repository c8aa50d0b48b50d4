import fs from 'node:fs/promises';
import path from 'node:path';
import { loadSuiteFile } from './load-suite.ts';
import { dedupeProblems, formatLocation, type SuiteProblem } from './problems.ts';
import type { LoadedSuite } from './suite-case.ts';

const SUITE_FILE = /\.ya?ml$/;

/**
 * The suite files under the given paths: files as given, directories searched for *.yaml
 * and *.yml (recursively, sorted, so runs and lint output are in a stable order).
 */
export async function findSuiteFiles(paths: readonly string[]): Promise<{ files: string[]; problems: SuiteProblem[] }> {
  const files: string[] = [];
  const problems: SuiteProblem[] = [];
  for (const given of paths) {
    const stat = await fs.stat(given).catch(() => null);
    if (!stat) problems.push({ file: given, line: 1, column: 1, message: 'no such file or directory' });
    else if (stat.isDirectory()) {
      const found = (await fs.readdir(given, { recursive: true, withFileTypes: true }))
        .filter((entry) => entry.isFile() && SUITE_FILE.test(entry.name))
        // parentPath is Node 20.12+; `path` is its older name (engines allow 20.6).
        .map((entry) => path.join(entry.parentPath ?? (entry as { path?: string }).path ?? given, entry.name))
        .sort();
      if (found.length === 0) problems.push({ file: given, line: 1, column: 1, message: 'no suite files (*.yaml) here' });
      files.push(...found);
    } else files.push(given);
  }
  return { files: [...new Set(files)], problems };
}

export interface LoadedSuites {
  suites: LoadedSuite[];
  problems: SuiteProblem[];
}

/** Loads every suite under the paths; suite ids must be unique across files too. */
export async function loadSuites(paths: readonly string[]): Promise<LoadedSuites> {
  const { files, problems } = await findSuiteFiles(paths);
  const suites: LoadedSuite[] = [];
  const byId = new Map<string, LoadedSuite>();
  for (const file of files) {
    const loaded = await loadSuiteFile(file);
    if (!loaded.ok) {
      problems.push(...loaded.problems);
      continue;
    }
    const previous = byId.get(loaded.suite.info.id);
    if (previous) {
      problems.push({ ...loaded.suite.info.location, message: `duplicate suite id '${loaded.suite.info.id}' (also at ${formatLocation(previous.info.location)})` });
      continue;
    }
    byId.set(loaded.suite.info.id, loaded.suite);
    suites.push(loaded.suite);
  }
  return { suites, problems: dedupeProblems(problems) };
}
