import type { BisectCandidate, BisectState, BisectStep } from './bisect-state.ts';
import type { ChangesSummary } from './changes-summary.ts';
import { decisionText } from './debian-bisect.ts';
import { markdownCell as cell, markdownRuns } from './run-lines.ts';


function buildOf(state: BisectState, abi: string): BisectCandidate {
  return state.candidates.find((candidate) => candidate.abi === abi)!;
}

function roleText(step: BisectStep): string {
  return step.role === 'good-end' ? 'good end' : step.role === 'bad-end' ? 'bad end' : 'search';
}

/** The answer in one paragraph (also what the terminal shows). */
export function resultLines(state: BisectState): string[] {
  const what = state.args.fix ? 'fixed' : 'bad';
  if (state.endpointProblem) return [`No answer: ${state.endpointProblem}`];
  const result = state.result;
  if (!result) return ['No answer yet: the bisect has not finished (run the same command again to continue).'];
  const first = buildOf(state, result.firstNew);
  const last = buildOf(state, result.lastOld);
  if (result.suspects.length === 1) {
    return [
      `First ${what} build: ${first.abi}: Debian ${first.debianVersion}, upstream ${first.upstreamVersion} (${first.package}).`,
      `The build before it, ${last.abi} (Debian ${last.debianVersion}), is ${state.args.fix ? 'still failing' : 'good'}.`,
    ];
  }
  const skipped = result.suspects.filter((abi) => abi !== result.firstNew);
  return [
    `The first ${what} build is one of: ${result.suspects.join(', ')}.`,
    `${skipped.join(', ')} could not be decided (skip); the last ${state.args.fix ? 'failing' : 'good'} build is ${last.abi} (Debian ${last.debianVersion}), and ${first.abi} (Debian ${first.debianVersion}, upstream ${first.upstreamVersion}) is ${what}.`,
  ];
}

export function changesLines(changes: ChangesSummary | null, limit = Number.POSITIVE_INFINITY): string[] {
  if (!changes) return [];
  const heading = `Changes in ${changes.newBuild.abi} (Debian ${changes.newBuild.debianVersion}) since ${changes.oldBuild.abi} (Debian ${changes.oldBuild.debianVersion})`;
  if (changes.error) return [heading, `  ${changes.error}`];
  const lines = [
    heading,
    `  from the changelog of ${changes.package}: upload(s) ${changes.versions.join(', ')}; ${changes.total} entries (${changes.otherArch} for other architectures left out), ${changes.matching.length} mention a keyword (${changes.keywords.join(', ')})`,
  ];
  if (changes.note) lines.push(`  note: ${changes.note}`);
  for (const line of changes.matching.slice(0, limit)) lines.push(`  - ${line.title}  [${line.kind}${line.upstreamLog ? ` ${line.upstreamLog.replace(/^.*\//, '')}` : ''}; ${line.keywords.join(', ')}]`);
  if (changes.matching.length > limit) lines.push(`  … and ${changes.matching.length - limit} more in bisect.md`);
  return lines;
}

/** DIR/bisect.md: the question, the answer, every step's runs, and what the first new build changed. */
export function renderDebianReport(state: BisectState, changes: ChangesSummary | null): string {
  const args = state.args;
  const first = state.candidates[0]!;
  const last = state.candidates.at(-1)!;
  const out: string[] = [
    `# Bisect of ${args.case}`,
    '',
    `- range: ${first.abi} (--good ${args.good}) .. ${last.abi} (--bad ${args.bad}), ${state.candidates.length} Debian builds`,
    `- looking for: ${args.fix ? 'the first fixed build (--fix: the good end fails, the bad end passes)' : 'the first bad build (the good end passes, the bad end fails)'}`,
    `- rule: ${args.runs} run(s) per step; bad-like with ${args.badThreshold}+ failing runs, good-like with none failing and one passing, otherwise one more round, then skip`,
    `- suite: ${args.suiteFile}`,
    `- started ${state.startedAt}, last saved ${state.updatedAt}`,
    '',
    '## Result',
    '',
    ...(state.endpointProblem ? ['```', `No answer: ${state.endpointProblem}`, '```'] : resultLines(state).map((line) => `${line}  `)),
    '',
    '## Steps',
    '',
    '| step | build | Debian | upstream | role | runs | decision |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const step of state.steps) {
    const build = state.candidates[step.candidate]!;
    const runs = step.rounds.map((round) => `round ${round.round}: ${markdownRuns(round.runs)}`).join('; ') || 'none';
    out.push(`| ${String(step.number).padStart(2, '0')} | ${build.abi} | ${build.debianVersion} | ${build.upstreamVersion} | ${roleText(step)} | ${cell(runs)} | ${decisionText(step.decision)}${step.reason ? `: ${cell(step.reason)}` : ''} |`);
  }
  out.push('', 'Each round\'s run directory (results.json, console logs) is `steps/NN-<abi>/round-R/`.');
  if (changes) {
    out.push('', `## Changes in ${changes.newBuild.abi} since ${changes.oldBuild.abi}`, '');
    if (changes.error) out.push(changes.error);
    else {
      out.push(`From the changelog of \`${changes.package}\`, upload(s) ${changes.versions.join(', ')}: ${changes.total} entries (${changes.otherArch} for other architectures or featuresets left out), ${changes.matching.length} mentioning a keyword (${changes.keywords.map((k) => `\`${k}\``).join(', ')}).`);
      if (changes.note) out.push('', `Note: ${changes.note}.`);
      out.push('');
      for (const line of changes.matching) {
        out.push(`- ${line.title} (${line.version}, ${line.kind}${line.upstreamLog ? `, ${line.upstreamLog.replace(/^.*\//, '')}` : ''}; ${line.keywords.map((k) => `\`${k}\``).join(', ')})`);
      }
    }
  }
  return `${out.join('\n')}\n`;
}
