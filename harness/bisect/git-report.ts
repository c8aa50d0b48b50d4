import type { GitBisectResult } from './git-bisect.ts';
import { markdownCell as cell, markdownRuns } from './run-lines.ts';
import type { GitStepRecord } from './step-log.ts';

export interface GitBisectSummary {
  repo: string;
  good: string;
  bad: string;
  case: string;
  build: string | null;
  kernelFile: string | null;
  runs: number;
  badThreshold: number;
  fix: boolean;
}


/** The answer in a line or two (also what the terminal shows). */
export function gitResultLines(result: GitBisectResult, fix: boolean): string[] {
  const what = fix ? 'fixed' : 'bad';
  const answer = result.answer;
  if (answer.kind === 'found') return [`First ${what} commit: ${answer.commit} ${answer.subject}`];
  if (answer.kind === 'suspects') return [`The first ${what} commit is one of (skipped commits sit next to it):`, ...answer.commits.map((commit) => `  ${commit}`)];
  return [`No answer: ${answer.message}`];
}

/** DIR/bisect.md for a git bisect: the question, git's answer, each step's runs, and git's own log. */
export function renderGitReport(summary: GitBisectSummary, result: GitBisectResult, steps: readonly GitStepRecord[]): string {
  const out = [
    `# Bisect of ${summary.case} in ${summary.repo}`,
    '',
    `- range: --good ${summary.good} (${result.goodCommit}) .. --bad ${summary.bad} (${result.badCommit})`,
    `- looking for: ${summary.fix ? 'the first fixed commit (git terms broken/fixed)' : 'the first bad commit'}`,
    `- build: ${summary.build === null ? 'none' : `\`${summary.build}\``}; kernel: ${summary.kernelFile === null ? 'the worktree as a kernel build tree' : `the reference in \`${summary.kernelFile}\``}`,
    `- rule: ${summary.runs} run(s) per step; bad-like with ${summary.badThreshold}+ failing runs, good-like with none failing and one passing, otherwise one more round, then skip`,
    '',
    '## Result',
    '',
    ...gitResultLines(result, summary.fix).map((line) => `${line}  `),
    '',
    '## Steps',
    '',
    '| step | commit | subject | kernel | runs | decision | exit |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const step of steps) {
    const runs = step.rounds.map((round) => `round ${round.round}: ${markdownRuns(round.runs)}`).join('; ') || 'none';
    out.push(`| ${String(step.number).padStart(2, '0')} | ${step.commit.slice(0, 12)} | ${cell(step.subject)} | ${cell(step.kernelRef ?? 'none')} | ${cell(runs)} | ${step.decision}: ${cell(step.reason)} | ${step.exitCode} |`);
  }
  out.push('', 'Each step\'s runs are under `steps/NN-<commit>/round-R/` (the build\'s output in `build.log`).', '', '## git bisect log', '', '```', result.log, '```');
  return `${out.join('\n')}\n`;
}
