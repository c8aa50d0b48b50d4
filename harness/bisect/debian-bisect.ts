import path from 'node:path';
import { HarnessError } from '../util/errors.ts';
import { checkSameArgs, readBisectState, writeBisectState, type BisectArgs, type BisectCandidate, type BisectState, type BisectStep } from './bisect-state.ts';
import type { RoundOutcome } from './case-round.ts';
import { crashTitlesOf, type CrashReference } from './run-classification.ts';
import { plainRuns, reasonLines, roundSummary } from './run-lines.ts';
import { nextProbe } from './search.ts';
import { searchVerdictOf, type SearchVerdict } from './step-decision.ts';
import { runStepRounds, type RoundRecord } from './step-rounds.ts';

export interface DebianBisectOptions {
  args: BisectArgs;
  suiteSha256: string;
  /** The bisect directory: bisect.json, bisect.md, steps/. */
  dir: string;
  /** Asked only for a new bisect; a resumed one keeps the builds it started with. */
  candidates(): Promise<BisectCandidate[]>;
  /** Runs one round of a step on a build; `dir` is the round's own run directory. */
  runRound(candidate: BisectCandidate, round: number, dir: string): Promise<RoundOutcome>;
  log(line: string): void;
}

export type DebianBisectOutcome =
  | { kind: 'done'; state: BisectState }
  /** The ends did not behave as claimed; state.endpointProblem says how. */
  | { kind: 'endpoints'; state: BisectState }
  /** Ctrl-C: the state is saved up to the last finished round. */
  | { kind: 'interrupted'; state: BisectState };

type Role = BisectStep['role'];

/**
 * A bisect over Debian builds: verify the ends (the failing one first, to learn its crash
 * titles), then binary-search the builds between, saving the state after every round. Called
 * again with the same arguments and directory it continues: decided steps are reused and an
 * interrupted step keeps its finished rounds.
 */
export async function runDebianBisect(options: DebianBisectOptions): Promise<DebianBisectOutcome> {
  const { args, dir, log } = options;
  const rule = { runs: args.runs, badThreshold: args.badThreshold };
  let state = await readBisectState(dir);
  if (state) {
    checkSameArgs(state.args, args, dir);
    if (state.suiteSha256 !== options.suiteSha256) log(`note: ${args.suiteFile} changed since this bisect started; its decided steps are kept`);
    const decided = state.steps.filter((step) => step.decision !== null).length;
    log(`continuing the bisect in ${dir}: ${decided} step(s) already decided`);
  } else {
    const candidates = await options.candidates();
    if (candidates.length < 2) throw new HarnessError('usage', `the range ${args.good}..${args.bad} holds ${candidates.length} build(s): nothing to bisect`);
    const now = new Date().toISOString();
    state = {
      schemaVersion: 1,
      args,
      suiteSha256: options.suiteSha256,
      candidates,
      referenceCrashTitles: null,
      steps: [],
      result: null,
      endpointProblem: null,
      startedAt: now,
      updatedAt: now,
    };
    await writeBisectState(dir, state);
    log(`bisecting ${args.case} over ${candidates.length} Debian builds, ${candidates[0]!.abi} .. ${candidates.at(-1)!.abi}: ${args.runs} run(s) per step, bad-like at ${args.badThreshold}+ failing${args.fix ? '; looking for the first fixed build' : ''}`);
  }
  const saved = state;
  const count = saved.candidates.length;
  const failingEnd = args.fix ? 0 : count - 1;
  const passingEnd = args.fix ? count - 1 : 0;

  const save = () => writeBisectState(dir, saved);

  /** Runs (or finishes, or reuses) the step on one build; null when interrupted. */
  async function decide(candidate: number, role: Role): Promise<BisectStep | null> {
    const existing = saved.steps.find((step) => step.candidate === candidate);
    if (existing?.decision) return existing;
    const build = saved.candidates[candidate]!;
    let step = existing;
    if (!step) {
      const number = saved.steps.length + 1;
      step = { number, candidate, abi: build.abi, role, dir: path.join('steps', `${String(number).padStart(2, '0')}-${build.abi}`), rounds: [], decision: null, reason: null, verdict: null };
      saved.steps.push(step);
      await save();
    }
    const current = step;
    log(`step ${String(current.number).padStart(2, '0')}: ${describeBuild(build)} (${roleText(role, args.fix)})${current.rounds.length > 0 ? `, continuing after round ${current.rounds.length}` : ''}`);
    const reference: CrashReference = candidate === failingEnd ? { kind: 'any' } : { kind: 'titles', titles: saved.referenceCrashTitles ?? [] };
    const result = await runStepRounds({
      rule,
      reference,
      done: current.rounds,
      runRound: (round) => options.runRound(build, round, path.join(dir, current.dir, `round-${round}`)),
      onRound: async (rounds: readonly RoundRecord[]) => {
        current.rounds = [...rounds];
        const last = rounds.at(-1)!;
        log(`  round ${last.round}: ${roundSummary(last.runs)}`);
        for (const line of reasonLines(last.runs)) log(`    ${line}`);
        await save();
      },
    });
    if (result.interrupted) return null;
    current.decision = result.step.decision;
    current.reason = result.step.reason;
    current.verdict = searchVerdictOf(result.step.decision, args.fix);
    if (candidate === failingEnd) saved.referenceCrashTitles = crashTitlesOf(current.rounds.flatMap((round) => round.runs.filter((run) => run.outcome === 'fail')));
    log(`  → ${decisionText(current.decision)}: ${current.reason}`);
    await save();
    return current;
  }

  // The failing end first: its crash titles decide which crashes count everywhere else.
  const failing = await decide(failingEnd, args.fix ? 'good-end' : 'bad-end');
  if (!failing) return { kind: 'interrupted', state: saved };
  const passing = await decide(passingEnd, args.fix ? 'bad-end' : 'good-end');
  if (!passing) return { kind: 'interrupted', state: saved };
  const problem = endpointProblem(saved, failing, passing);
  if (problem) {
    saved.endpointProblem = problem;
    await save();
    return { kind: 'endpoints', state: saved };
  }
  saved.endpointProblem = null;

  for (;;) {
    const verdicts = new Map<number, SearchVerdict>();
    for (const step of saved.steps) if (step.verdict) verdicts.set(step.candidate, step.verdict);
    const next = nextProbe(count, verdicts);
    if (next.kind === 'done') {
      saved.result = {
        lastOld: saved.candidates[next.lastOld]!.abi,
        firstNew: saved.candidates[next.firstNew]!.abi,
        suspects: next.suspects.map((index) => saved.candidates[index]!.abi),
      };
      await save();
      return { kind: 'done', state: saved };
    }
    log(`${next.untested} untested build(s) left in the range`);
    if (!(await decide(next.index, 'search'))) return { kind: 'interrupted', state: saved };
  }
}

export function describeBuild(build: BisectCandidate): string {
  return `${build.abi} (Debian ${build.debianVersion}, upstream ${build.upstreamVersion})`;
}

function roleText(role: Role, fix: boolean): string {
  if (role === 'good-end') return fix ? 'the good end: must fail' : 'the good end: must pass';
  if (role === 'bad-end') return fix ? 'the bad end: must pass' : 'the bad end: must fail';
  return 'search';
}

export function decisionText(decision: BisectStep['decision']): string {
  if (decision === 'failing') return 'bad-like';
  if (decision === 'passing') return 'good-like';
  if (decision === 'skip') return 'skip';
  return 'undecided';
}

function endpointText(step: BisectStep, build: BisectCandidate): string {
  const runs = step.rounds.map((round) => `${step.rounds.length > 1 ? `round ${round.round}: ` : ''}${plainRuns(round.runs)}`);
  return `${build.abi} was ${decisionText(step.decision)} (${step.reason}): ${runs.join('; ')}`;
}

/** Null when both ends behaved as claimed, else what each did and what to try. */
function endpointProblem(state: BisectState, failing: BisectStep, passing: BisectStep): string | null {
  if (failing.decision === 'failing' && passing.decision === 'passing') return null;
  const fix = state.args.fix;
  const good = fix ? failing : passing;
  const bad = fix ? passing : failing;
  const lines = [
    `the ends of the range do not behave as ${fix ? '--fix' : 'a regression bisect'} needs: the good end must ${fix ? 'fail' : 'pass'} and the bad end must ${fix ? 'pass' : 'fail'}.`,
    `  good end: ${endpointText(good, state.candidates[good.candidate]!)}`,
    `  bad end:  ${endpointText(bad, state.candidates[bad.candidate]!)}`,
  ];
  if (failing.decision === 'passing' && passing.decision === 'failing') {
    lines.push(fix ? '  The failure appears rather than goes away: drop --fix.' : '  The failure goes away rather than appears: add --fix to find the first fixed build.');
  } else if (failing.decision === 'skip' || passing.decision === 'skip') {
    lines.push('  A skip means no run could tell (boot failure, infra error, a crash with another title, or inconclusive runs): see the runs\' results under steps/.');
  } else if (failing.decision === passing.decision) {
    lines.push(`  Both ends are ${decisionText(failing.decision)}: the change lies outside the range, or the case does not show it.`);
  }
  return lines.join('\n');
}
