import path from 'node:path';
import { didYouMean } from '../suite/did-you-mean.ts';
import { formatProblem, loadSuites, type SuiteCase } from '../suite/index.ts';
import { HarnessError } from '../util/errors.ts';

/** The one case a bisect watches, as `--case SUITE:CASE_ID` names it. */
export interface CaseRef {
  suite: string;
  caseId: string;
  /** The result key (`suite/caseId`), what runs are matched on. */
  key: string;
}

/** `hwpoison-basic:anon-madvise-sigbus`, or the result key `hwpoison-basic/anon-madvise-sigbus`. */
export function parseCaseRef(text: string): CaseRef {
  // Suite ids hold neither ':' nor '/', so the first of them is the separator.
  const match = /^([^:/]+)[:/](.+)$/.exec(text.trim());
  if (!match?.[1] || !match[2]) {
    throw new HarnessError('usage', `--case '${text}': expected SUITE:CASE_ID`, { hint: 'e.g. --case hwpoison-basic:anon-madvise-sigbus (`memharness lint --list` prints every case)' });
  }
  return { suite: match[1], caseId: match[2], key: `${match[1]}/${match[2]}` };
}

/** A --grep that selects exactly this case: the key, escaped, anchored at both ends. */
export function exactCasePattern(key: string): RegExp {
  return new RegExp(`^${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
}

export interface FoundCase {
  case: SuiteCase;
  /** The one suite file that defines it: each step runs only this file. */
  file: string;
}

/**
 * Finds the case before anything boots, so a typo costs a second, not a kernel download.
 * Problems in other suite files (someone editing one) do not stop the bisect, since only the
 * case's own file is run.
 */
export async function findCase(paths: readonly string[], ref: CaseRef): Promise<FoundCase> {
  const loaded = await loadSuites(paths);
  const suite = loaded.suites.find((candidate) => candidate.info.id === ref.suite);
  if (!suite) {
    // A suite file with problems is not loaded, so the case may be in one of them.
    const detail = loaded.problems.length > 0 ? `\n${loaded.problems.slice(0, 20).map(formatProblem).join('\n')}` : '';
    throw new HarnessError('usage', `no suite '${ref.suite}' in ${paths.join(', ')}${didYouMean(ref.suite, loaded.suites.map((s) => s.info.id))}${detail}`);
  }
  const found = suite.cases.find((candidate) => candidate.key === ref.key);
  if (!found) {
    throw new HarnessError('usage', `suite '${ref.suite}' (${suite.info.file}) has no case '${ref.caseId}'${didYouMean(ref.caseId, suite.cases.map((c) => c.id))}`, {
      hint: `its cases: ${suite.cases.map((c) => c.id).join(', ')}`,
    });
  }
  return { case: found, file: path.resolve(suite.info.file) };
}
