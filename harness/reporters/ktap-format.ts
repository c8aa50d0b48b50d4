import type { CaseResult, RunResult } from '../results/run-result.ts';
import { caseName, kernelLabel } from './case-naming.ts';
import { attemptLines, failureText } from './failure-text.ts';
import { groupByKernelAndSuite } from './group-cases.ts';
import { caseProblem } from './case-problem.ts';
import { formatRunError, type RunError } from './reporter.ts';
import { capLines, capText } from './text/cap-text.ts';
import { escapeControl } from './text/escape-text.ts';
import { formatDuration } from './text/format-duration.ts';

export interface KtapOptions {
  errors?: readonly RunError[];
  /** Diagnostic lines per failing case (an oops is long; the top of it is in results.json). */
  maxDiagnosticLines?: number;
}

const MAX_LINE_CHARS = 400;

/** One result line of a KTAP level: ok/not ok, its diagnostics before it, its subtests, if any. */
interface KtapTest {
  ok: boolean;
  name: string;
  directive?: string;
  diagnostics: string[];
  children?: KtapTest[];
}

/** A KTAP description cannot hold "#" (it starts the directive) nor, of course, a line break. */
function description(text: string): string {
  return capText(escapeControl(text), MAX_LINE_CHARS).replace(/#/g, '\\x23');
}

function diagnosticData(text: string): string {
  return capText(escapeControl(text), MAX_LINE_CHARS);
}

function diagnosticLines(text: string, maxLines: number): string[] {
  return capLines(text.replace(/\r\n/g, '\n'), maxLines)
    .split('\n')
    .map((line) => diagnosticData(line));
}

function caseTest(result: CaseResult, maxLines: number): KtapTest {
  const name = description(caseName(result));
  const problem = caseProblem(result) ?? '';
  const timing = `${result.verdict} in ${formatDuration(result.durationMs)}`;
  switch (result.verdict) {
    case 'passed':
      return { ok: true, name, diagnostics: [] };
    case 'skipped':
      return { ok: true, name, directive: `SKIP ${diagnosticData(result.skipReason ?? '')}`.trimEnd(), diagnostics: [] };
    case 'xfail':
      return {
        ok: true,
        name,
        directive: `XFAIL ${diagnosticData(problem || (result.reference ?? ''))}`.trimEnd(),
        diagnostics: [],
      };
    case 'flaky':
      return { ok: true, name, directive: diagnosticData(`flaky: ${problem}`), diagnostics: attemptLines(result.attempts).map(diagnosticData) };
    case 'infra-error':
      // ERROR is KTAP's "the test could not run": exactly an infrastructure error.
      return { ok: false, name, directive: `ERROR ${diagnosticData(problem || 'infrastructure error')}`, diagnostics: diagnosticLines(failureText(result), maxLines) };
    case 'crashed':
      return { ok: false, name, directive: diagnosticData(problem || 'kernel crashed'), diagnostics: [timing, ...diagnosticLines(failureText(result), maxLines)] };
    case 'xpass':
      return { ok: false, name, directive: diagnosticData(problem), diagnostics: [timing, ...diagnosticLines(failureText(result), maxLines)] };
    case 'failed':
      return { ok: false, name, diagnostics: [timing, ...diagnosticLines(failureText(result), maxLines)] };
  }
}

/** A parent fails when a subtest fails; skips alone do not make it fail, but all-skipped is a skip. */
function parentTest(name: string, children: KtapTest[], diagnostics: string[]): KtapTest {
  const ok = children.every((child) => child.ok);
  const allSkipped = children.length > 0 && children.every((child) => child.directive?.startsWith('SKIP'));
  return { ok, name: description(name), children, diagnostics, ...(allSkipped ? { directive: 'SKIP all subtests skipped' } : {}) };
}

function render(tests: readonly KtapTest[], depth: number, out: string[]): void {
  const indent = '  '.repeat(depth);
  out.push(`${indent}KTAP version 1`, `${indent}1..${tests.length}`);
  tests.forEach((test, index) => {
    if (test.children) render(test.children, depth + 1, out);
    for (const line of test.diagnostics) out.push(`${indent}# ${line}`.trimEnd());
    out.push(`${indent}${test.ok ? 'ok' : 'not ok'} ${index + 1} ${test.name}${test.directive ? ` # ${test.directive}` : ''}`);
  });
}

/**
 * results.ktap: the run in KTAP v1 (Documentation/dev-tools/ktap.rst) as kselftest and KUnit
 * print it, nested kernel > suite > case, so kernel CI tooling that reads kselftest output
 * reads memharness too.
 */
export function buildKtap(run: RunResult, options: KtapOptions = {}): string {
  const maxLines = options.maxDiagnosticLines ?? 40;
  const top: KtapTest[] = groupByKernelAndSuite(run).map((group) =>
    parentTest(
      kernelLabel(group.kernel),
      group.suites.map(({ suite, cases }) =>
        parentTest(
          suite,
          cases.map((result) => caseTest(result, maxLines)),
          [],
        ),
      ),
      [diagnosticData(`kernel ${group.kernel.id}, qemu ${run.qemu}, accel ${run.accelerator.accel}`)],
    ),
  );
  for (const error of options.errors ?? []) {
    const text = formatRunError(error);
    top.push({ ok: false, name: 'memharness run', directive: `ERROR ${diagnosticData(text)}`, diagnostics: diagnosticLines(text, 20) });
  }
  const out: string[] = [];
  render(top, 0, out);
  const header = [
    `# memharness ${diagnosticData(run.harnessVersion)} run ${diagnosticData(run.runId)}: ${run.cases.length} cases, accel ${run.accelerator.accel} (${diagnosticData(run.accelerator.reason)})`,
  ];
  if (run.interrupted) header.push('# run interrupted: only the cases that finished are listed');
  else if (!run.complete) header.push('# run incomplete: only the cases that finished are listed');
  // The plan must follow the version line directly; the run's header comes after it.
  return [out[0]!, out[1]!, ...header, ...out.slice(2), ''].join('\n');
}
