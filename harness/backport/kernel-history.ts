import { parseDebianChangelog, type ChangelogEntry } from '../bisect/changelog.ts';
import { fetchChangelog, type PackageAvailability, type SupportPackageFetcher } from '../bisect/changelog-source.ts';
import { parsePlainAmd64Package } from '../kernel/debian-archive.ts';
import type { KernelInfo } from '../results/run-result.ts';
import { kernelVersionOf } from '../suite/kernel-version.ts';
import { parseVersionRange, versionInRange } from '../suite/version-range.ts';
import type { Progress } from '../util/progress.ts';
import type { ReferenceLookup } from './backport-report.ts';
import { foldTitle, type CommitReference } from './commit-references.ts';

/** What a kernel build contains, as far as its Debian changelog says: its own upload and every older one. */
export interface KernelHistory {
  kernel: KernelInfo;
  /** linux-support-<abi> the changelog came from. */
  package: string | null;
  entries: Array<{ version: string; folded: string }>;
  /** Why there are no entries (not a Debian build, no changelog package). */
  missing: string | null;
}

export interface HistoryOptions {
  cacheDir: string;
  progress: Progress;
  fetcher?: SupportPackageFetcher;
  available?: PackageAvailability;
}

/** The changelog of a Debian build from its linux-support package (cached); a kernel of your own has none. */
export async function kernelHistory(kernel: KernelInfo, options: HistoryOptions): Promise<KernelHistory> {
  const none = (why: string): KernelHistory => ({ kernel, package: null, entries: [], missing: why });
  if (!kernel.debianPackage || !kernel.debianVersion) return none('not a Debian build: there is no changelog to look in');
  const abi = parsePlainAmd64Package(kernel.debianPackage)?.abi;
  if (!abi) return none(`${kernel.debianPackage} is not a plain amd64 kernel package`);
  const fetched = await fetchChangelog([abi], kernel.debianVersion, options);
  if ('errors' in fetched) return none(`no changelog for ${kernel.debianVersion}: ${fetched.errors.join('; ')}`);
  return historyFromChangelog(kernel, fetched.package, fetched.text);
}

/** Entries from the kernel's own upload down: a later upload's entries are not in this build. */
export function historyFromChangelog(kernel: KernelInfo, pkg: string, text: string): KernelHistory {
  const versions = parseDebianChangelog(text);
  const own = versions.findIndex((block) => block.version === kernel.debianVersion);
  if (own === -1) return { kernel, package: pkg, entries: [], missing: `${pkg}'s changelog has no upload ${kernel.debianVersion}` };
  const entries = versions.slice(own).flatMap((block) => block.entries.map((entry: ChangelogEntry) => ({ version: block.version, folded: foldTitle(entry.title) })));
  return { kernel, package: pkg, entries, missing: null };
}

function atLeast(kernel: KernelInfo, upstream: string): boolean {
  const have = kernelVersionOf(kernel.release, kernel.upstreamVersion ?? null);
  const bound = parseVersionRange(`>=${upstream}`);
  // 'unknown' (a Debian ABI release without its patch level) is not "has it".
  return have !== null && 'range' in bound && versionInRange(have, bound.range) === true;
}

/**
 * Whether a kernel has the commit: by its upstream version when the suite names the release
 * that brought it, else by the commit title in its changelog (Debian lists every stable
 * commit's title; mainline commits of its own release are not listed one by one).
 */
export function lookUpReference(history: KernelHistory, reference: CommitReference): ReferenceLookup {
  if (reference.upstream && atLeast(history.kernel, reference.upstream)) return { state: 'by-upstream-version', upstream: reference.upstream };
  if (reference.kind === 'id') return { state: 'unknown', why: 'Debian changelogs list commit titles, not ids' };
  if (history.missing !== null) return { state: 'unknown', why: history.missing };
  const wanted = foldTitle(reference.title);
  // Oldest upload first: the one that brought the commit, not a later one that mentions it again.
  for (let index = history.entries.length - 1; index >= 0; index--) {
    const entry = history.entries[index]!;
    if (entry.folded.includes(wanted)) return { state: 'listed', version: entry.version };
  }
  return { state: 'not-listed' };
}
