import type { CaseResult, KernelInfo, RunResult } from '../results/run-result.ts';
import type { KernelPair } from './comparison.ts';
import { kernelsOf, matchKernels, type KernelMatching } from './match-kernels.ts';

/**
 * One case (suite/case id with its parameters, i.e. its key) on one pair of kernels, with
 * what each run did: one result per --repeat-each index. Repeats are kept together because
 * "flaky" is a property of all of them, not of one.
 */
export interface MatchedCase {
  key: string;
  pair?: KernelPair;
  oldKernel?: KernelInfo;
  newKernel?: KernelInfo;
  old: CaseResult[];
  new: CaseResult[];
}

export interface CaseMatching extends KernelMatching {
  cases: MatchedCase[];
}

function byRepeat(a: CaseResult, b: CaseResult): number {
  return a.repeatIndex - b.repeatIndex;
}

/**
 * Lines up the cases of two runs: by kernel pair (matchKernels), then by case key. A case of
 * a kernel that has no counterpart stays on its own side. Order: NEW's order of first
 * appearance, then what only OLD has, in OLD's order, so reports read like the runs did.
 */
export function matchCases(oldRun: RunResult, newRun: RunResult): CaseMatching {
  const kernels = matchKernels(kernelsOf(oldRun), kernelsOf(newRun));
  const pairByOld = new Map(kernels.pairs.map((pair) => [pair.old.id, pair]));
  const pairByNew = new Map(kernels.pairs.map((pair) => [pair.new.id, pair]));
  const matched = new Map<string, MatchedCase>();
  const slot = (key: string, pair: KernelPair | undefined, kernelId: string): MatchedCase => {
    // Cases on a paired kernel share a slot keyed by the pair; the others by their own kernel.
    const id = JSON.stringify([pair ? `${pair.old.id}\u0000${pair.new.id}` : kernelId, key]);
    let entry = matched.get(id);
    if (!entry) {
      entry = { key, old: [], new: [] };
      if (pair) entry.pair = pair;
      matched.set(id, entry);
    }
    return entry;
  };
  for (const result of newRun.cases) {
    const entry = slot(result.key, pairByNew.get(result.kernel.id), `new:${result.kernel.id}`);
    entry.newKernel ??= result.kernel;
    entry.new.push(result);
  }
  for (const result of oldRun.cases) {
    const entry = slot(result.key, pairByOld.get(result.kernel.id), `old:${result.kernel.id}`);
    entry.oldKernel ??= result.kernel;
    entry.old.push(result);
  }
  const cases = [...matched.values()];
  for (const entry of cases) {
    entry.old.sort(byRepeat);
    entry.new.sort(byRepeat);
    // The kernel a missing side would have run on: what the report names for a missing case.
    if (entry.pair) {
      entry.oldKernel ??= entry.pair.old;
      entry.newKernel ??= entry.pair.new;
    }
  }
  return { ...kernels, cases };
}
