import type { DebianBuild } from '../kernel/debian-archive.ts';
import { selectDebianPackage } from '../kernel/debian-select.ts';
import { buildsInRange } from '../kernel/kernel-range.ts';
import { parseKernelRef, type DebianKernelRef } from '../kernel/kernel-ref.ts';
import { HarnessError } from '../util/errors.ts';
import type { BisectCandidate } from './bisect-state.ts';

function debianRef(flag: string, value: string): DebianKernelRef {
  const ref = parseKernelRef(value);
  if (ref.kind === 'path') {
    throw new HarnessError('usage', `${flag} '${value}' is not a Debian build: a bisect over Debian builds walks the archive's builds between two of them`, {
      hint: 'give Debian builds (6.1.0-47, 6.12.117, latest-6.1), or bisect your own tree with --git DIR --build CMD',
    });
  }
  return ref;
}

/**
 * The builds to bisect, oldest first: every build the archive offers from --good to --bad.
 * The good build must be the older one in both directions: a regression bisect (good passes,
 * bad fails) and a fix bisect (--fix: good still fails, bad passes).
 */
export function debianCandidates(good: string, bad: string, builds: readonly DebianBuild[]): BisectCandidate[] {
  const goodPkg = selectDebianPackage(debianRef('--good', good), [...builds]);
  const badPkg = selectDebianPackage(debianRef('--bad', bad), [...builds]);
  if (goodPkg.abi === badPkg.abi) throw new HarnessError('usage', `--good ${good} and --bad ${bad} are the same build (${goodPkg.abi}): nothing to bisect`);
  const range = buildsInRange(good, bad, builds);
  if (range[0]?.abi !== goodPkg.abi) {
    const named = (ref: string, abi: string, version: string) => `${ref} (${ref === abi ? '' : `${abi}, `}Debian ${version})`;
    throw new HarnessError('usage', `--good ${named(good, goodPkg.abi, goodPkg.debianVersion)} is newer than --bad ${named(bad, badPkg.abi, badPkg.debianVersion)}`, {
      hint: 'the good build is the older one: to find where a failure went away, give the older (failing) build as --good, the newer (passing) one as --bad, and add --fix',
    });
  }
  return range.map((pkg) => ({ abi: pkg.abi, package: pkg.package, debianVersion: pkg.debianVersion, upstreamVersion: pkg.upstreamVersion }));
}

