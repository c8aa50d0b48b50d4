import { upstreamOfDebianVersion } from '../kernel/debian-version.ts';
import type { ChangelogEntry, ChangelogVersion } from './changelog.ts';
import { matchingKeywords } from './keywords.ts';

export interface VersionedEntry extends ChangelogEntry {
  /** The upload that lists it. */
  version: string;
}

export interface ChangesBetween {
  /** The changelog versions (uploads) the newer build has and the older one does not, newest first. */
  versions: string[];
  entries: VersionedEntry[];
  /** Set when the older build's version is not in this changelog (another series). */
  note: string | null;
}

/**
 * What `newVersion` added relative to `oldVersion`: the changelog's blocks from newVersion's
 * down to (not including) oldVersion's. By position, not by version order, because a
 * backport's changelog interleaves two distributions: 6.12.117-1~deb12u1 (bookworm) sits
 * above 6.12.117-1 and 6.12.116-1 (trixie), which it contains, though it sorts below them.
 * When oldVersion is not in the changelog, only the uploads of newVersion's own upstream
 * version are taken (a rebuild and the upload it rebuilds), and `note` says so.
 * Null when newVersion itself is not in the changelog.
 */
export function changesBetween(changelog: readonly ChangelogVersion[], newVersion: string, oldVersion: string | null): ChangesBetween | null {
  const start = changelog.findIndex((block) => block.version === newVersion);
  if (start === -1) return null;
  const end = oldVersion === null ? -1 : changelog.findIndex((block, index) => index > start && block.version === oldVersion);
  let blocks: ChangelogVersion[];
  let note: string | null = null;
  if (end !== -1) {
    blocks = changelog.slice(start, end);
  } else {
    const upstream = upstreamOfDebianVersion(newVersion);
    let stop = start + 1;
    while (stop < changelog.length && upstreamOfDebianVersion(changelog[stop]!.version) === upstream) stop += 1;
    blocks = changelog.slice(start, stop);
    note = `${oldVersion ?? 'the previous build'} is not in this changelog; these are only the uploads of upstream ${upstream}`;
  }
  return { versions: blocks.map((block) => block.version), entries: blocks.flatMap((block) => block.entries.map((entry) => ({ ...entry, version: block.version }))), note };
}

export interface FilteredEntry<T extends ChangelogEntry = ChangelogEntry> {
  entry: T;
  keywords: string[];
}

/** The entries that mention a keyword, in changelog order. */
export function filterEntries<T extends ChangelogEntry>(entries: readonly T[], keywords: readonly string[]): Array<FilteredEntry<T>> {
  const out: Array<FilteredEntry<T>> = [];
  for (const entry of entries) {
    const hit = matchingKeywords(entry.title, keywords);
    if (hit.length > 0) out.push({ entry, keywords: hit });
  }
  return out;
}

const AMD64_TAGS = new Set(['amd64', 'x86', 'x86_64', 'i386']);

/**
 * Whether an entry concerns the plain amd64 kernels a bisect runs: Debian prefixes entries
 * for other architectures or featuresets with them ("[arm64] ...", "[s390x] ...",
 * "[rt] ..."); untagged entries are for every architecture.
 */
export function concernsAmd64(title: string): boolean {
  const tag = /^\[([^\]]+)\]/.exec(title)?.[1];
  if (tag === undefined) return true;
  return tag.split(/[\s,]+/).some((word) => AMD64_TAGS.has(word.toLowerCase()));
}
