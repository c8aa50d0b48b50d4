import type { KernelInfo, RunResult } from '../results/run-result.ts';
import { kernelVersionOf } from '../suite/kernel-version.ts';
import type { KernelPair } from './comparison.ts';

export interface KernelMatching {
  pairs: KernelPair[];
  oldOnly: KernelInfo[];
  newOnly: KernelInfo[];
}

/**
 * Every kernel a run names: its declared list (what it planned, even when interrupted before
 * a case ran there) and any a case ran on (a merged run whose list was lost).
 */
export function kernelsOf(run: RunResult): KernelInfo[] {
  const byId = new Map<string, KernelInfo>();
  for (const kernel of [...run.kernels, ...run.cases.map((result) => result.kernel)]) if (!byId.has(kernel.id)) byId.set(kernel.id, kernel);
  return [...byId.values()];
}

function series(kernel: KernelInfo): string | null {
  const version = kernelVersionOf(kernel.release, kernel.upstreamVersion);
  return version ? `${version.major}.${version.minor}` : null;
}

/**
 * Pairs OLD's kernels with NEW's, strictest rule first: the same kernel, the same release
 * under another id, then the one build of a series on each side (6.1.0-47 with 6.1.0-56:
 * a nightly moving to the next stable build), then — when exactly one kernel is left on each
 * side — those two whatever their versions (a 6.1 baseline against a 6.12 run). A kernel
 * paired by the last two rules is a different kernel: the summary says so.
 */
export function matchKernels(oldKernels: readonly KernelInfo[], newKernels: readonly KernelInfo[]): KernelMatching {
  const pairs: KernelPair[] = [];
  const oldLeft = [...oldKernels];
  const newLeft = [...newKernels];
  const take = (match: KernelPair['match'], same: (a: KernelInfo, b: KernelInfo) => boolean, unique = false) => {
    for (const newKernel of [...newLeft]) {
      const candidates = oldLeft.filter((oldKernel) => same(oldKernel, newKernel));
      if (candidates.length === 0) continue;
      // A series with two builds on one side is ambiguous: which build is the other's successor?
      if (unique && (candidates.length > 1 || newLeft.filter((other) => same(candidates[0]!, other)).length > 1)) continue;
      const oldKernel = candidates[0]!;
      pairs.push({ old: oldKernel, new: newKernel, match });
      oldLeft.splice(oldLeft.indexOf(oldKernel), 1);
      newLeft.splice(newLeft.indexOf(newKernel), 1);
    }
  };
  take('same-id', (a, b) => a.id === b.id);
  take('same-release', (a, b) => a.release !== '' && a.release === b.release);
  take('same-series', (a, b) => series(a) !== null && series(a) === series(b), true);
  if (oldLeft.length === 1 && newLeft.length === 1) {
    pairs.push({ old: oldLeft[0]!, new: newLeft[0]!, match: 'only-kernels' });
    oldLeft.length = 0;
    newLeft.length = 0;
  }
  return { pairs, oldOnly: oldLeft, newOnly: newLeft };
}

/** True when the pair's two sides are not the same kernel build. */
export function isCrossKernel(pair: KernelPair): boolean {
  return pair.match === 'same-series' || pair.match === 'only-kernels';
}
