import { TAINT_FLAGS } from '../kernel-log/crash/taint.ts';
import type { StateDiff } from '../state/state-diff.ts';
import type { ImplicitChecks } from '../suite/index.ts';

export interface TaintProblem {
  message: string;
  added: string[];
}

/** No new taint, except the flags the case allows (M after a machine-check injection). */
export function checkNoNewTaint(diff: StateDiff | null, implicit: ImplicitChecks): TaintProblem | null {
  if (!diff || !diff.tainted.available) return null;
  const allowed = new Set(implicit.allowedNewTaint.map((flag) => flag.bit));
  const unexpected = diff.tainted.value.addedBits.filter((bit) => !allowed.has(bit));
  if (unexpected.length === 0) return null;
  const names = unexpected.map((bit) => {
    const flag = TAINT_FLAGS[bit];
    return flag ? `${flag.letter} (${flag.name})` : `bit ${bit}`;
  });
  const allowedText = implicit.allowedNewTaint.length ? `; allowed: ${implicit.allowedNewTaint.map((flag) => flag.letter).join(', ')}` : '';
  return {
    message: `the kernel added taint ${names.join(', ')} (tainted ${diff.tainted.value.before} → ${diff.tainted.value.after})${allowedText}`,
    added: unexpected.map((bit) => TAINT_FLAGS[bit]?.letter ?? `bit${bit}`),
  };
}
