import { defaultSuitesDir } from '../default-suites-dir.ts';
import type { Command } from 'commander';
import { loadSuites } from '../../suite/load-suites.ts';
import { dedupeProblems, formatProblem } from '../../suite/problems.ts';
import type { LoadedSuite } from '../../suite/suite-case.ts';
import { EXIT_INFRA } from '../../util/errors.ts';
import { cacheDir } from '../../util/paths.ts';
import { checkSuitePrograms } from '../../programs/check-programs.ts';

/**
 * `memharness lint [paths...]`: checks suites alone, before any kernel or guest is
 * involved. Every problem is one `file:line:col: message` line (exit 2); a clean run
 * prints one summary line.
 */
export function registerLintCommand(program: Command): void {
  program
    .command('lint')
    .description('check suite files (schema, references, parameter expansion) without booting anything')
    .argument('[paths...]', 'suite files or directories (default: suites/)')
    .option('--list', 'also print every case after expansion, one key per line')
    .action(async (paths: string[], options: { list?: boolean }) => {
      const given = paths.length > 0 ? paths : [defaultSuitesDir()];
      const loaded = await loadSuites(given);
      const { suites } = loaded;
      // Programs are compiled now (and cached), so a broken one is told before any boot.
      const problems = dedupeProblems([...loaded.problems, ...(await checkSuitePrograms(suites, { cacheDir: cacheDir() }))]);
      if (problems.length > 0) {
        for (const problem of problems) process.stdout.write(`${formatProblem(problem)}\n`);
        const files = new Set(problems.map((problem) => problem.file)).size;
        process.stderr.write(`${plural(problems.length, 'problem')} in ${plural(files, 'file')}\n`);
        process.exitCode = EXIT_INFRA;
        return;
      }
      if (options.list) for (const suite of suites) for (const testCase of suite.cases) process.stdout.write(`${testCase.key}\n`);
      process.stdout.write(`${summary(suites)}\n`);
    });
}


function summary(suites: readonly LoadedSuite[]): string {
  const cases = suites.reduce((sum, suite) => sum + suite.cases.length, 0);
  const templates = suites.reduce((sum, suite) => sum + suite.templates, 0);
  const excluded = suites.reduce((sum, suite) => sum + suite.excluded, 0);
  const detail = cases === templates && excluded === 0 ? '' : ` (${plural(templates, 'case')} as written${excluded ? `, ${plural(excluded, 'combination')} excluded` : ''})`;
  return `${plural(suites.length, 'suite')}, ${plural(cases, 'case')} after expansion${detail}`;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}
