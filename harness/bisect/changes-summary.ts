import type { Progress } from '../util/progress.ts';
import type { BisectCandidate, BisectState } from './bisect-state.ts';
import { parseDebianChangelog } from './changelog.ts';
import { fetchChangelog, type SupportPackageFetcher } from './changelog-source.ts';
import { changesBetween, concernsAmd64, filterEntries } from './changes-between.ts';

export interface ChangeLine {
  version: string;
  title: string;
  kind: 'upstream' | 'debian';
  upstreamLog: string | null;
  keywords: string[];
}

/** What the first new build brought relative to the last old one, as the report shows it. */
export interface ChangesSummary {
  newBuild: BisectCandidate;
  oldBuild: BisectCandidate;
  /** linux-support-<abi> the changelog came from; null when none could be had. */
  package: string | null;
  /** The uploads between the two, newest first. */
  versions: string[];
  /** Every entry of those uploads, before filtering. */
  total: number;
  /** Of those, entries for other architectures or featuresets ("[arm64] ..."), left out before filtering. */
  otherArch: number;
  keywords: string[];
  matching: ChangeLine[];
  note: string | null;
  /** Why there is no changelog section; the bisect's answer stands without it. */
  error: string | null;
}

export async function summariseChanges(
  state: BisectState,
  keywords: readonly string[],
  options: { cacheDir: string; progress: Progress; fetcher?: SupportPackageFetcher },
): Promise<ChangesSummary | null> {
  if (!state.result) return null;
  const byAbi = (abi: string) => state.candidates.findIndex((candidate) => candidate.abi === abi);
  const newIndex = byAbi(state.result.firstNew);
  const newBuild = state.candidates[newIndex]!;
  const oldBuild = state.candidates[byAbi(state.result.lastOld)]!;
  const empty: ChangesSummary = { newBuild, oldBuild, package: null, versions: [], total: 0, otherArch: 0, keywords: [...keywords], matching: [], note: null, error: null };
  // Newer builds' changelogs hold the older uploads too, for when this build has no linux-support package.
  const abis = state.candidates.slice(newIndex).map((candidate) => candidate.abi);
  const fetched = await fetchChangelog(abis, newBuild.debianVersion, options);
  if ('errors' in fetched) return { ...empty, error: `no changelog for ${newBuild.debianVersion}: ${fetched.errors.join('; ')}` };
  const changes = changesBetween(parseDebianChangelog(fetched.text), newBuild.debianVersion, oldBuild.debianVersion);
  if (!changes) return { ...empty, package: fetched.package, error: `${fetched.package}'s changelog has no entry for ${newBuild.debianVersion}` };
  const amd64 = changes.entries.filter((entry) => concernsAmd64(entry.title));
  return {
    ...empty,
    package: fetched.package,
    versions: changes.versions,
    total: changes.entries.length,
    otherArch: changes.entries.length - amd64.length,
    matching: filterEntries(amd64, keywords).map(({ entry, keywords: hit }) => ({ version: entry.version, title: entry.title, kind: entry.kind, upstreamLog: entry.upstreamLog, keywords: hit })),
    note: changes.note,
  };
}
