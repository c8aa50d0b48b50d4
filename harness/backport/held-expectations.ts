import type { CaseResult } from '../results/run-result.ts';
import type { HeldExpectation } from './backport-report.ts';

/**
 * The suite items a kernel was held to: expectation and step `expect:` items whose `when:`
 * held, and steps that ran. For one case key the parameters are the same on both kernels, so
 * an item held on one kernel only is one whose `when:` names the kernel: a behaviour
 * difference the suite knows of. Null when the results predate the record (nothing to say).
 */
function held(results: readonly CaseResult[]): Map<string, HeldExpectation> | null {
  const result = results.find((candidate) => candidate.checks !== undefined || candidate.steps !== undefined);
  if (!result) return null;
  const items = new Map<string, HeldExpectation>();
  for (const check of result.checks ?? []) {
    if (check.status === 'not-applicable' || check.status === 'not-run') continue;
    items.set(`${check.location}\u0000${check.text}`, { location: check.location, text: check.text });
  }
  for (const step of result.steps ?? []) {
    if (step.status === 'skipped') continue;
    items.set(`${step.location}\u0000step`, { location: step.location, text: `step ${step.kind} (its when: holds here)` });
  }
  return items;
}

/** Items held on one side only. Cases that stopped early (a failed step) are compared on what both reached. */
export function heldDifference(base: readonly CaseResult[], candidate: readonly CaseResult[]): { onlyBase: HeldExpectation[]; onlyCandidate: HeldExpectation[] } {
  const baseHeld = held(base);
  const candidateHeld = held(candidate);
  if (!baseHeld || !candidateHeld) return { onlyBase: [], onlyCandidate: [] };
  // A step that stopped the case leaves later items unrecorded on that side: only items the
  // other side recorded (held or not applicable) can differ.
  const recorded = (results: readonly CaseResult[]) => new Set(results.flatMap((result) => [...(result.checks ?? []).filter((check) => check.status !== 'not-run').map((check) => `${check.location}\u0000${check.text}`), ...(result.steps ?? []).map((step) => `${step.location}\u0000step`)]));
  const baseRecorded = recorded(base);
  const candidateRecorded = recorded(candidate);
  const onlyIn = (mine: Map<string, HeldExpectation>, theirs: Map<string, HeldExpectation>, theirRecorded: Set<string>) =>
    [...mine.entries()].filter(([key]) => !theirs.has(key) && theirRecorded.has(key)).map(([, item]) => item);
  return { onlyBase: onlyIn(baseHeld, candidateHeld, candidateRecorded), onlyCandidate: onlyIn(candidateHeld, baseHeld, baseRecorded) };
}
