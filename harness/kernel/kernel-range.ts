import { HarnessError } from '../util/errors.ts';
import { compareBuilds, preferredPackage, type DebianBuild, type DebianPackageInfo } from './debian-archive.ts';
import { selectDebianPackage } from './debian-select.ts';
import { parseKernelRef, type DebianKernelRef } from './kernel-ref.ts';

/** One item of a --kernels list: a kernel as --kernel takes it, or a range of Debian builds. */
export type KernelListItem = { kind: 'single'; ref: string } | { kind: 'range'; from: string; to: string; text: string };

/**
 * Splits `6.1.0-47..6.1.0-56,latest-6.12` (and repeated --kernel values) into items. A range
 * is two Debian references joined by `..`; a path cannot be a range end.
 */
export function parseKernelList(values: readonly string[]): KernelListItem[] {
  const items: KernelListItem[] = [];
  for (const value of values) {
    for (const part of value.split(',').map((text) => text.trim())) {
      if (part === '') throw new HarnessError('usage', `--kernels '${value}': an empty item (two commas in a row, or a trailing comma)`);
      // A path may hold '..' (../linux/vmlinux); a range end never holds '/'.
      const range = part.includes('/') ? null : /^(.+?)\.\.(.+)$/.exec(part);
      if (!range) {
        items.push({ kind: 'single', ref: part });
        continue;
      }
      const [from, to] = [range[1]!, range[2]!];
      for (const end of [from, to]) {
        if (parseKernelRef(end).kind === 'path') throw new HarnessError('usage', `kernel range '${part}': '${end}' is not a Debian build (a range runs over the builds the archive offers)`, { hint: 'write it like 6.1.0-47..6.1.0-56' });
      }
      items.push({ kind: 'range', from, to, text: part });
    }
  }
  return items;
}

/**
 * Every Debian build from `from` to `to`, both included, ordered by Debian version: what a
 * nightly matrix runs over and what a bisect walks. Ends in either order mean the same range.
 */
export function buildsInRange(from: string, to: string, builds: readonly DebianBuild[]): DebianPackageInfo[] {
  const low = selectDebianPackage(parseKernelRef(from) as DebianKernelRef, [...builds]);
  const high = selectDebianPackage(parseKernelRef(to) as DebianKernelRef, [...builds]);
  const sorted = [...builds].sort(compareBuilds);
  const index = (pkg: DebianPackageInfo) => sorted.findIndex((build) => build.abi === pkg.abi);
  const [start, end] = [index(low), index(high)].sort((a, b) => a - b) as [number, number];
  return sorted.slice(start, end + 1).map(preferredPackage);
}

/**
 * The kernel references a --kernels list stands for, in the order written, ranges expanded
 * to their builds' ABIs (`6.1.0-47`, ...), duplicates dropped (first place kept).
 * `lookUp` (the archive: findInArchive) is asked only when there is a range.
 */
export async function expandKernelList(
  items: readonly KernelListItem[],
  lookUp: <T>(pick: (builds: DebianBuild[]) => T) => Promise<T>,
): Promise<string[]> {
  const refs: string[] = [];
  for (const item of items) {
    if (item.kind === 'single') refs.push(item.ref);
    else refs.push(...(await lookUp((builds) => buildsInRange(item.from, item.to, builds))).map((pkg) => pkg.abi));
  }
  return [...new Set(refs)];
}
