import fs from 'node:fs/promises';
import path from 'node:path';
import { replaceRegions } from './generated-regions.ts';
import {
  cgroupFilesTable,
  dataPatternsText,
  eventFieldKindsTable,
  eventTypesTable,
  featuresTable,
  injectionMethodsTable,
  kpageflagsTable,
  readmeInjectMethods,
  readmeTargetKinds,
  statePathsTable,
  stepOutcomesTable,
  stepsTable,
  targetKindsTable,
} from './reference-tables.ts';
import { suiteFilesTable } from './suite-tables.ts';

/** The command that regenerates every region, for messages that say how to fix drift. */
export const GENERATE_COMMAND = 'npm run docs:generate';

type Render = (root: string) => string | Promise<string>;

/** Which generated regions each Markdown file has (paths relative to the project root). */
export const DOC_FILES: Readonly<Record<string, Readonly<Record<string, Render>>>> = {
  'suites/README.md': {
    'default-suites': (root) => suiteFilesTable(root, 'suites', 'suites'),
    'runner-fixtures': (root) => suiteFilesTable(root, 'harness/runner/fixtures', 'suites'),
    steps: stepsTable,
    'step-outcomes': stepOutcomesTable,
    'data-patterns': dataPatternsText,
    'target-kinds': targetKindsTable,
    'injection-methods': injectionMethodsTable,
    'event-field-kinds': eventFieldKindsTable,
    'event-types': eventTypesTable,
    'state-paths': statePathsTable,
    'cgroup-files': cgroupFilesTable,
    kpageflags: kpageflagsTable,
    features: featuresTable,
  },
  'README.md': {
    'inject-methods': readmeInjectMethods,
    'target-kinds': readmeTargetKinds,
  },
};

export interface DocFileResult {
  /** Relative to the project root. */
  file: string;
  current: string;
  generated: string;
  drifted: string[];
  problems: string[];
}

/** Every documentation file as it is and as the generator would write it. */
export async function renderDocFiles(root: string): Promise<DocFileResult[]> {
  const results: DocFileResult[] = [];
  for (const [file, regions] of Object.entries(DOC_FILES)) {
    const current = await fs.readFile(path.join(root, file), 'utf8');
    const bodies: Record<string, string> = {};
    for (const [name, render] of Object.entries(regions)) bodies[name] = await render(root);
    const update = replaceRegions(current, bodies);
    results.push({ file, current, generated: update.text, drifted: update.drifted, problems: update.problems });
  }
  return results;
}
