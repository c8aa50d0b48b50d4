import { readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../util/paths.ts';

/** The package version, recorded in every result so a result names the harness that made it. */
export function harnessVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { version?: string };
  return pkg.version ?? '0.0.0';
}
