import type { RoundOutcome } from './case-round.ts';
import { classifyRun, type ClassifiedRun, type CrashReference } from './run-classification.ts';
import { decideStep, MAX_ROUNDS, type DecisionRule, type StepDecision } from './step-decision.ts';

export interface RoundRecord {
  round: number;
  runs: ClassifiedRun[];
}

export interface DecidedStep {
  decision: Exclude<StepDecision, 'inconclusive'>;
  reason: string;
  rounds: RoundRecord[];
}

export interface StepRoundsOptions {
  rule: DecisionRule;
  reference: CrashReference;
  /** Rounds a previous, interrupted process already ran for this step. */
  done?: readonly RoundRecord[];
  runRound(round: number): Promise<RoundOutcome>;
  /** Called after each round, to save it before the next one starts. */
  onRound?(rounds: readonly RoundRecord[]): Promise<void>;
}

export type StepRoundsResult = { interrupted: true; rounds: RoundRecord[] } | { interrupted: false; step: DecidedStep };

/** Runs a step's rounds until it is decided: a second round only when the first was inconclusive. */
export async function runStepRounds(options: StepRoundsOptions): Promise<StepRoundsResult> {
  const rounds = [...(options.done ?? [])];
  for (;;) {
    if (rounds.length > 0) {
      const verdict = decideStep(rounds.flatMap((round) => round.runs), rounds.length, options.rule);
      if (verdict.decision !== 'inconclusive') return { interrupted: false, step: { decision: verdict.decision, reason: verdict.reason, rounds } };
    }
    if (rounds.length >= MAX_ROUNDS) throw new Error('decideStep left a step inconclusive after the last round');
    const round = rounds.length + 1;
    const outcome = await options.runRound(round);
    if (outcome.interrupted) return { interrupted: true, rounds };
    rounds.push({ round, runs: outcome.runs.map((run) => classifyRun(run, options.reference)) });
    await options.onRound?.(rounds);
  }
}
