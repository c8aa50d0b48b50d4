import { clip } from '../compare/render-text.ts';
import type { KernelInfo } from '../results/run-result.ts';
import type { BackportCategory, BackportReport, CaseBackport, ReferenceCheck, ReferenceLookup } from './backport-report.ts';

const HEADINGS: Record<BackportCategory, string> = {
  regressed: 'Regressed in the candidate',
  'new-crash': 'Newly crashing in the candidate',
  'known-bug-in-candidate': 'Known bugs the candidate shows and the base does not',
  fixed: 'Fixed in the candidate',
  'known-bug-fixed': "Known bugs of the base that the candidate fixes",
  'still-failing': 'Failing on both',
  'differs-as-expected': 'Behaving differently, as the suites expect of these versions',
  'only-on-base': 'Run on the base only (skipped on the candidate)',
  'only-on-candidate': 'Run on the candidate only (skipped on the base)',
  inconclusive: 'Inconclusive (infrastructure or flaky)',
  missing: 'Not run on one of the kernels',
  same: 'Same outcome',
};

const SHORT: Record<BackportCategory, string> = {
  regressed: 'regressed',
  'new-crash': 'newly crashing',
  'known-bug-in-candidate': 'known bug in candidate',
  fixed: 'fixed',
  'known-bug-fixed': 'known bug fixed',
  'still-failing': 'failing on both',
  'differs-as-expected': 'differ as expected',
  'only-on-base': 'base only',
  'only-on-candidate': 'candidate only',
  inconclusive: 'inconclusive',
  missing: 'missing',
  same: 'same',
};

/** Order of the sections: what a stable maintainer must act on first. */
const SECTIONS: readonly BackportCategory[] = ['regressed', 'new-crash', 'known-bug-in-candidate', 'fixed', 'known-bug-fixed', 'still-failing', 'only-on-base', 'only-on-candidate', 'inconclusive', 'missing'];

/** Cases named per group of a version-dependent difference before "and N more". */
const MAX_CASES_NAMED = 4;

function describeKernel(kernel: KernelInfo): string {
  const parts = [kernel.upstreamVersion ? `upstream ${kernel.upstreamVersion}` : null, kernel.debianVersion ? `Debian ${kernel.debianVersion}` : null].filter(Boolean);
  return `${kernel.release}${parts.length > 0 ? ` (${parts.join(', ')})` : ''}`;
}

export function describeLookup(lookup: ReferenceLookup, kernel: KernelInfo): string {
  switch (lookup.state) {
    case 'listed':
      return `in ${kernel.release} (Debian changelog, upload ${lookup.version})`;
    case 'by-upstream-version':
      return `in ${kernel.release} (upstream ${lookup.upstream} and later)`;
    case 'not-listed':
      return `not in ${kernel.release}'s changelog`;
    case 'unknown':
      return `unknown for ${kernel.release} (${lookup.why})`;
  }
}

export function countsText(report: BackportReport): string {
  const shown = (Object.keys(report.counts) as BackportCategory[]).filter((category) => report.counts[category] > 0 || SECTIONS.slice(0, 3).includes(category));
  return shown.map((category) => `${report.counts[category]} ${SHORT[category]}`).join(', ');
}

function caseLine(entry: CaseBackport): string[] {
  const lines = [`  ${entry.key}: ${clip(entry.reason)}`];
  const side = entry.category === 'only-on-base' || entry.category === 'fixed' || entry.category === 'known-bug-fixed' ? entry.base : entry.candidate;
  if (side?.detail && !entry.reason.includes(side.detail)) lines.push(`    ${clip(side.detail)}`);
  return lines;
}

function referencesFor(report: BackportReport, entry: CaseBackport): ReferenceCheck[] {
  return report.references.filter((reference) => entry.references.includes(reference.title));
}

/** Version-dependent differences, one per suite item, with the cases that showed it. */
function differenceGroups(report: BackportReport): string[] {
  const groups = new Map<string, { side: 'base' | 'candidate'; location: string; text: string; cases: string[] }>();
  for (const entry of report.cases.filter((item) => item.category === 'differs-as-expected')) {
    for (const [side, items] of [['base', entry.onlyBase], ['candidate', entry.onlyCandidate]] as const) {
      for (const item of items) {
        const id = `${side}\u0000${item.location.replace(/ expect\[\d+\]$/, '')}\u0000${item.text}`;
        const group = groups.get(id) ?? { side, location: item.location, text: item.text, cases: [] };
        if (!group.cases.includes(entry.key)) group.cases.push(entry.key);
        groups.set(id, group);
      }
    }
  }
  const lines: string[] = [];
  for (const group of [...groups.values()].sort((a, b) => a.location.localeCompare(b.location, 'en', { numeric: true }) || a.side.localeCompare(b.side))) {
    const kernel = group.side === 'base' ? report.base.release : report.candidate.release;
    lines.push(`  ${group.location}: \`${clip(group.text, 120)}\``);
    const named = group.cases.slice(0, MAX_CASES_NAMED).join(', ');
    const more = group.cases.length > MAX_CASES_NAMED ? ` and ${group.cases.length - MAX_CASES_NAMED} more` : '';
    lines.push(`    held on ${kernel} only (${group.side}), in ${group.cases.length} case(s): ${named}${more}`);
  }
  return lines;
}

/**
 * The summary a stable maintainer pastes into a reply: the two kernels, the counts, every
 * case that changed with why, the differences the suites expect of these versions, and the
 * suites' commit references looked up in both changelogs. Plain text, no colour.
 */
export function renderBackportText(report: BackportReport): string {
  const lines = [
    `memharness backport-check: ${countsText(report)}`,
    `base:      ${describeKernel(report.base)}`,
    `candidate: ${describeKernel(report.candidate)}`,
    `suites:    ${report.suites.map((suite) => suite.path).join(', ') || 'none'}; ${report.cases.length} case(s); accelerator ${report.accelerator.split(' (')[0]}`,
  ];
  if (report.interrupted || !report.complete) lines.push('note: the run did not finish: cases it did not reach are listed as not run');
  for (const note of report.changelogNotes) lines.push(`note: ${note}`);
  for (const category of SECTIONS) {
    const entries = report.cases.filter((entry) => entry.category === category);
    if (entries.length === 0) continue;
    lines.push('', `${HEADINGS[category]} (${entries.length}):`);
    for (const entry of entries) {
      lines.push(...caseLine(entry));
      for (const reference of referencesFor(report, entry)) {
        lines.push(`    ref "${clip(reference.title, 100)}": ${describeLookup(reference.base, report.base)}; ${describeLookup(reference.candidate, report.candidate)}`);
      }
    }
  }
  const differences = differenceGroups(report);
  if (differences.length > 0) {
    lines.push('', `${HEADINGS['differs-as-expected']} (${report.counts['differs-as-expected']} case(s)):`, ...differences);
  }
  if (report.references.length > 0) {
    lines.push('', `Commits the suites cite (${report.references.length}):`);
    for (const reference of report.references) {
      lines.push(`  "${clip(reference.title, 120)}" (${reference.cases.length} case(s))`);
      lines.push(`    base: ${describeLookup(reference.base, report.base)}`);
      lines.push(`    candidate: ${describeLookup(reference.candidate, report.candidate)}`);
    }
    if (report.references.some((reference) => reference.base.state === 'not-listed' || reference.candidate.state === 'not-listed')) {
      lines.push('  (Debian changelogs list the stable commits of each upload; a commit merged upstream before a kernel\'s release is in it unlisted. A suite says which release brought a commit with "(upstream X.Y)" after the title.)');
    }
  }
  lines.push('', `${report.counts.same} case(s) had the same outcome on both. Results: ${report.runDir}`);
  return `${lines.join('\n')}\n`;
}
