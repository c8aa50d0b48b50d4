import type { CrashReport } from '../kernel-log/crash/crash-report.ts';
import type { CrashInfo } from '../results/run-result.ts';
import { conditionHolds, type Expectation, type KernelFacts, type SuiteCase } from '../suite/index.ts';

/** Reports kept in results per attempt, and text per report: a flood of warnings must not make a results file of megabytes. */
const MAX_REPORTS = 20;
const MAX_REPORT_CHARS = 16 * 1024;

export interface CrashDecision {
  /** Every report, with how the case took it (at most MAX_REPORTS, in log order). */
  crashes: CrashInfo[];
  /** The case's crash: the first unexpected report that is not corrupted (else the first unexpected one), or a death nobody expected. */
  crash: CrashInfo | null;
}

/**
 * Which crash reports fail the case, on the model of syzkaller's pkg/report (the first report
 * that is not corrupted is the crash) with the case's own word on the others:
 * - `allow: { crash: true }`: nothing fails the case, not even the guest's death;
 * - `allow: { reports: [regex] }`: reports whose title or text match are benign here;
 * - a `crash:` expectation that applies on this kernel takes the reports it names (all of
 *   those matching its title, or without a title the first report), and makes the guest's
 *   death expected. Any other report still fails the case.
 */
export function decideCrashes(input: {
  reports: readonly CrashReport[];
  alive: boolean;
  testCase: Pick<SuiteCase, 'implicit' | 'expectations'>;
  facts: KernelFacts;
  /** For a death without a recognisable report: the console's last lines. */
  consoleTail: () => string;
}): CrashDecision {
  const { implicit } = input.testCase;
  const allowPatterns = implicit.allowedReports.map((source) => new RegExp(source));
  const crashExpectations = input.testCase.expectations.filter(
    (expectation): expectation is Expectation & { check: { kind: 'crash' } } => expectation.check.kind === 'crash' && conditionHolds(expectation.when, input.facts),
  );
  const expected = new Set<number>();
  for (const expectation of crashExpectations) {
    const title = expectation.check.title;
    const matching = input.reports.map((report, index) => ({ report, index })).filter(({ report }) => title === null || new RegExp(title).test(report.title));
    for (const { index } of title === null ? matching.slice(0, 1) : matching) expected.add(index);
  }
  const crashes = input.reports.slice(0, MAX_REPORTS).map((report, index): CrashInfo => {
    const allowed = implicit.allowCrash || allowPatterns.some((pattern) => pattern.test(report.title) || pattern.test(report.text));
    return { ...crashInfoOf(report), disposition: allowed ? 'allowed' : expected.has(index) ? 'expected' : 'unexpected' };
  });
  const unexpected = crashes.filter((crash) => crash.disposition === 'unexpected');
  const first = unexpected.find((crash) => !crash.corrupted) ?? unexpected[0];
  if (first) return { crashes, crash: withoutDisposition(first) };
  const deathExpected = implicit.allowCrash || crashExpectations.length > 0;
  if (!input.alive && !deathExpected) {
    return { crashes, crash: { title: 'the guest died without a recognisable crash report', normalisedTitle: 'the guest died without a recognisable crash report', kind: 'unknown', report: input.consoleTail() } };
  }
  return { crashes, crash: null };
}

/** A parsed report as results keep it: title capped at the source, the normalised title stored once. */
export function crashInfoOf(report: CrashReport): CrashInfo {
  return {
    title: report.title,
    normalisedTitle: report.normalisedTitle,
    kind: report.kind,
    report: report.text.length > MAX_REPORT_CHARS ? `${report.text.slice(0, MAX_REPORT_CHARS)}\n… [${report.text.length - MAX_REPORT_CHARS} characters cut]` : report.text,
    ...(report.taint ? { taint: report.taint.letters } : {}),
    ...(report.corrupted ? { corrupted: true, corruptedReason: report.corruptedReason ?? 'corrupted' } : {}),
  };
}

function withoutDisposition(crash: CrashInfo): CrashInfo {
  const { disposition: _disposition, ...rest } = crash;
  return rest;
}
