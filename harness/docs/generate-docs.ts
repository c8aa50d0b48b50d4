import fs from 'node:fs/promises';
import path from 'node:path';
import { projectRoot } from '../util/paths.ts';
import { GENERATE_COMMAND, renderDocFiles } from './doc-files.ts';

/**
 * `npm run docs:generate`: rewrites the generated regions of suites/README.md and README.md
 * from the code's tables. `--check` writes nothing and exits 1 when a region is stale (for CI).
 */
const check = process.argv.includes('--check');
const results = await renderDocFiles(projectRoot);
let status = 0;
for (const result of results) {
  if (result.problems.length > 0) {
    for (const problem of result.problems) process.stderr.write(`${result.file}: ${problem}\n`);
    status = 2;
    continue;
  }
  if (result.drifted.length === 0) {
    process.stdout.write(`${result.file}: up to date\n`);
    continue;
  }
  if (check) {
    process.stdout.write(`${result.file}: stale: ${result.drifted.join(', ')} (run ${GENERATE_COMMAND})\n`);
    status = Math.max(status, 1);
    continue;
  }
  await fs.writeFile(path.join(projectRoot, result.file), result.generated);
  process.stdout.write(`${result.file}: regenerated ${result.drifted.join(', ')}\n`);
}
process.exitCode = status;
