import type { CrashReport } from './crash-report.ts';

/** Reports that share a normalised title: one bug, seen `count` times. */
export interface CrashGroup {
  normalisedTitle: string;
  /** The first report's title. */
  title: string;
  kind: CrashReport['kind'];
  count: number;
  /** All occurrences, in log order; the first is the representative. */
  reports: CrashReport[];
}

/**
 * Groups reports by normalised title, in order of first appearance. A non-corrupted
 * report represents its group when there is one: a cut-off copy makes a poor example.
 */
export function dedupCrashes(reports: readonly CrashReport[]): CrashGroup[] {
  const groups = new Map<string, CrashGroup>();
  for (const report of reports) {
    const group = groups.get(report.normalisedTitle);
    if (group) {
      group.count++;
      group.reports.push(report);
      continue;
    }
    groups.set(report.normalisedTitle, { normalisedTitle: report.normalisedTitle, title: report.title, kind: report.kind, count: 1, reports: [report] });
  }
  return [...groups.values()].map((group) => {
    const best = group.reports.find((report) => !report.corrupted) ?? group.reports[0];
    return best ? { ...group, title: best.title } : group;
  });
}
