import fs from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import type { AcceleratorRequest } from '../host/accelerator.ts';
import type { Progress } from '../util/progress.ts';
import { runCaseRound, type RoundOutcome } from './case-round.ts';
import type { CrashReference } from './run-classification.ts';
import { reasonLines, roundSummary } from './run-lines.ts';
import { searchVerdictOf } from './step-decision.ts';
import { runStepRounds } from './step-rounds.ts';
import { appendStepRecord, nextStepNumber, type GitStepRecord } from './step-log.ts';

/**
 * What `git bisect run` reads from a step: 0 old (good), 1 new (bad), 125 cannot tell (skip),
 * and anything from 128 up stops the whole bisect: a step that cannot even start must not
 * be taken for a bad commit.
 */
export const STEP_EXIT = { old: 0, new: 1, skip: 125, abort: 128, interrupted: 130 } as const;

export interface GitStepOptions {
  /** The worktree: the build runs here and relative paths are read from here. */
  dir: string;
  /** A shell command that builds the commit; null: nothing to build. */
  build: string | null;
  /** A file (relative to dir) the build writes the kernel reference into; null: dir is a kernel build tree. */
  kernelFile: string | null;
  caseKey: string;
  suiteFile: string;
  runs: number;
  badThreshold: number;
  fix: boolean;
  /** Normalised crash titles that count as the bug; empty: any crash does. */
  crashTitles: readonly string[];
  /** Where steps/NN-<commit>/ and steps.jsonl go. */
  output: string;
  workers?: number;
  accel?: AcceleratorRequest;
  progress?: Progress;
  log(line: string): void;
  /** The runner of one round; tests replace it. */
  runRound?: (kernelRef: string, round: number, dir: string) => Promise<RoundOutcome>;
}

export interface GitStepResult {
  exitCode: number;
  record: GitStepRecord;
}

async function git(dir: string, args: string[]): Promise<string> {
  const result = await execa('git', args, { cwd: dir, reject: false, stdin: 'ignore' });
  return result.exitCode === 0 ? String(result.stdout).trim() : '';
}

/** The kernel the build produced: the reference in --kernel-file (a path in it is relative to the worktree), else the worktree as a build tree. */
export async function kernelRefOf(dir: string, kernelFile: string | null): Promise<{ ref: string } | { error: string }> {
  if (kernelFile === null) return { ref: path.resolve(dir) };
  const file = path.resolve(dir, kernelFile);
  const text = await fs.readFile(file, 'utf8').catch(() => null);
  if (text === null) return { error: `the build wrote no kernel file ${file}` };
  const ref = text.trim().split('\n')[0]?.trim() ?? '';
  if (ref === '') return { error: `the kernel file ${file} is empty` };
  return { ref: ref.includes('/') ? path.resolve(dir, ref) : ref };
}

/**
 * One `git bisect run` step: build the checked-out commit, find its kernel, run the case
 * with the bisect's multi-run rules, and answer git with an exit code. Everything that is
 * the commit's fault but not the bug's (build failure, no kernel, boot failure, no clear
 * answer) is a skip.
 */
export async function runGitStep(options: GitStepOptions): Promise<GitStepResult> {
  const commit = (await git(options.dir, ['rev-parse', 'HEAD'])) || 'unknown';
  const subject = await git(options.dir, ['log', '-1', '--format=%s']);
  await fs.mkdir(options.output, { recursive: true });
  const number = await nextStepNumber(options.output);
  const stepDir = `${String(number).padStart(2, '0')}-${commit.slice(0, 12)}`;
  await fs.mkdir(path.join(options.output, stepDir), { recursive: true });
  const base = { number, commit, subject, dir: stepDir, rounds: [] };
  const finish = async (record: GitStepRecord): Promise<GitStepResult> => {
    await appendStepRecord(options.output, record);
    options.log(`memharness bisect-step: ${commit.slice(0, 12)} ${subject}: ${record.decision} (${record.reason}) → exit ${record.exitCode}`);
    return { exitCode: record.exitCode, record };
  };

  if (options.build !== null) {
    const logFile = path.join(options.output, stepDir, 'build.log');
    options.log(`memharness bisect-step: building ${commit.slice(0, 12)}: ${options.build}`);
    const built = await execa('sh', ['-c', options.build], { cwd: options.dir, reject: false, all: true, stdin: 'ignore' });
    await fs.writeFile(logFile, String(built.all ?? ''));
    if (built.signal === 'SIGINT' || built.signal === 'SIGTERM') {
      return finish({ ...base, kernelRef: null, decision: 'interrupted', reason: `the build was stopped by ${built.signal}`, exitCode: STEP_EXIT.interrupted });
    }
    if (built.exitCode !== 0) {
      const tail = String(built.all ?? '').trim().split('\n').slice(-5).join(' | ');
      return finish({ ...base, kernelRef: null, decision: 'skip', reason: `the build failed (exit ${built.exitCode ?? built.signal}; ${path.join(stepDir, 'build.log')}): ${tail}`, exitCode: STEP_EXIT.skip });
    }
  }

  const kernel = await kernelRefOf(options.dir, options.kernelFile);
  if ('error' in kernel) return finish({ ...base, kernelRef: null, decision: 'skip', reason: kernel.error, exitCode: STEP_EXIT.skip });

  const reference: CrashReference = options.crashTitles.length > 0 ? { kind: 'titles', titles: options.crashTitles } : { kind: 'any' };
  const runRound =
    options.runRound ??
    ((kernelRef: string, round: number, dir: string) =>
      runCaseRound({ kernelRef, caseKey: options.caseKey, suiteFile: options.suiteFile, runs: options.runs, dir, workers: options.workers, accel: options.accel, progress: options.progress }));
  const result = await runStepRounds({
    rule: { runs: options.runs, badThreshold: options.badThreshold },
    reference,
    runRound: (round) => runRound(kernel.ref, round, path.join(options.output, stepDir, `round-${round}`)),
    onRound: async (rounds) => {
      const last = rounds.at(-1)!;
      options.log(`memharness bisect-step: round ${last.round} on ${kernel.ref}: ${roundSummary(last.runs)}`);
      for (const line of reasonLines(last.runs)) options.log(`memharness bisect-step:   ${line}`);
    },
  });
  if (result.interrupted) {
    return finish({ ...base, kernelRef: kernel.ref, rounds: result.rounds, decision: 'interrupted', reason: 'interrupted', exitCode: STEP_EXIT.interrupted });
  }
  const verdict = searchVerdictOf(result.step.decision, options.fix);
  const exitCode = verdict === 'old' ? STEP_EXIT.old : verdict === 'new' ? STEP_EXIT.new : STEP_EXIT.skip;
  return finish({ ...base, kernelRef: kernel.ref, rounds: result.step.rounds, decision: result.step.decision, reason: result.step.reason, exitCode });
}
