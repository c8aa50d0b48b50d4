import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../util/paths.ts';

/** suites/ of the working directory, else the project's own (lint run from elsewhere). */
export function defaultSuitesDir(): string {
  if (fs.existsSync('suites')) return 'suites/';
  const own = path.join(projectRoot, 'suites');
  const relative = path.relative(process.cwd(), own);
  return relative.startsWith('..') || path.isAbsolute(relative) ? own : relative;
}
