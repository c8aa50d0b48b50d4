import path from 'node:path';
import { loadSuites } from '../suite/load-suites.ts';
import { formatProblem } from '../suite/problems.ts';
import { code, codeList, table } from './markdown.ts';

/**
 * Tables of suite files as lint loads them: the default suites a `run` without arguments
 * runs, and the runner's fixtures. Paths are relative to the project root, so the text is
 * the same wherever the checkout is; links are relative to `docDir`, where the table is shown.
 */
export async function suiteFilesTable(root: string, dir: string, docDir: string): Promise<string> {
  const { suites, problems } = await loadSuites([path.join(root, dir)]);
  if (problems.length > 0) throw new Error(`${dir} does not lint, so its table cannot be made:\n${problems.map(formatProblem).join('\n')}`);
  const rows = suites.map((suite) => {
    const file = path.relative(root, suite.info.file).split(path.sep).join('/');
    const cases = suite.cases.length === suite.templates ? String(suite.cases.length) : `${suite.cases.length} (${suite.templates} as written)`;
    return [`[${code(file)}](${path.posix.relative(docDir, file)})`, code(suite.info.id), suite.info.title, suite.info.tags.length > 0 ? codeList(suite.info.tags) : '—', cases];
  });
  return table(['file', 'suite', 'title', 'tags', 'cases'], rows);
}
