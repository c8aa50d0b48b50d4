import type { ProgramAction } from '../suite/program-schema.ts';
import type { SuiteProblem } from '../suite/problems.ts';
import type { LoadedSuite } from '../suite/suite-case.ts';
import { prepareProgram, type ProgramFile } from './program-build.ts';

/**
 * Every program step of the suites, prepared before any guest boots: the file must exist and
 * be something the guest can run, and a C file must compile (cached, so the run's own steps
 * find it built). Each problem is at the step's file:line:col, once per file and flags
 * however many cases (or expansions) run it.
 */
export async function checkSuitePrograms(suites: readonly LoadedSuite[], options: { cacheDir: string; prepare?: typeof prepareProgram }): Promise<SuiteProblem[]> {
  const prepare = options.prepare ?? prepareProgram;
  const seen = new Map<string, Promise<ProgramFile | Error>>();
  const problems: SuiteProblem[] = [];
  const reported = new Set<string>();
  for (const suite of suites) {
    for (const testCase of suite.cases) {
      for (const step of testCase.steps) {
        if (step.action.kind !== 'program') continue;
        const action: ProgramAction = step.action;
        const key = `${action.file}\u0000${(action.cflags ?? []).join('\u0000')}`;
        let result = seen.get(key);
        if (!result) {
          result = prepare({ file: action.file, cflags: action.cflags, cacheDir: options.cacheDir }).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
          seen.set(key, result);
        }
        const outcome = await result;
        if (!(outcome instanceof Error) || reported.has(key)) continue;
        reported.add(key);
        problems.push({ ...step.location, message: `program ${action.path}: ${outcome.message}` });
      }
    }
  }
  return problems;
}
