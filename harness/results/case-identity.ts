import type { CaseResult } from './run-result.ts';

/**
 * What makes one execution distinct within a run: the same case key runs once per kernel and
 * once per --repeat-each index. Two results with the same identity are the same execution
 * reported twice.
 */
export function caseIdentity(result: Pick<CaseResult, 'key' | 'kernel' | 'repeatIndex'>): string {
  return JSON.stringify([result.kernel.id, result.key, result.repeatIndex]);
}

export function describeCaseIdentity(result: Pick<CaseResult, 'key' | 'kernel' | 'repeatIndex'>): string {
  return `${result.key} on ${result.kernel.id}${result.repeatIndex > 0 ? ` (repeat ${result.repeatIndex})` : ''}`;
}
