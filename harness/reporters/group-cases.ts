import type { CaseResult, KernelInfo, RunResult } from '../results/run-result.ts';

export interface SuiteGroup {
  suite: string;
  cases: CaseResult[];
}

export interface KernelGroup {
  kernel: KernelInfo;
  suites: SuiteGroup[];
}

/**
 * Cases grouped kernel first, then suite, both in the order the run met them (kernels as the
 * run lists them, then any only the cases name). Every report nests the same way.
 */
export function groupByKernelAndSuite(run: RunResult): KernelGroup[] {
  const groups = new Map<string, KernelGroup>();
  for (const kernel of run.kernels) groups.set(kernel.id, { kernel, suites: [] });
  for (const result of run.cases) {
    let group = groups.get(result.kernel.id);
    if (!group) {
      group = { kernel: result.kernel, suites: [] };
      groups.set(result.kernel.id, group);
    }
    let suite = group.suites.find((entry) => entry.suite === result.suite);
    if (!suite) {
      suite = { suite: result.suite, cases: [] };
      group.suites.push(suite);
    }
    suite.cases.push(result);
  }
  return [...groups.values()].filter((group) => group.suites.length > 0);
}

/** The suite file a case's suite id came from (`suites/hwpoison.yaml` for `hwpoison`), if the run lists it. */
export function suiteFileOf(run: RunResult, suite: string): RunResult['suites'][number] | undefined {
  const stem = (file: string) => file.replace(/^.*\//, '').replace(/\.ya?ml$/, '');
  return run.suites.find((info) => info.path === suite) ?? run.suites.find((info) => stem(info.path) === suite);
}
