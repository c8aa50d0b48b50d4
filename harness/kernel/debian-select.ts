import { compareBuilds, NotInArchiveError, preferredPackage, type DebianBuild, type DebianPackageInfo } from './debian-archive.ts';
import { compareDebianVersions } from './debian-version.ts';
import { seriesOf, type DebianKernelRef } from './kernel-ref.ts';

/**
 * Picks the package a Debian ref means, from the archive's builds (any order). Pure, so every
 * rule (unsigned preferred, newest wins, what "not offered" says) is unit-tested without apt.
 */
export function selectDebianPackage(ref: DebianKernelRef, builds: DebianBuild[]): DebianPackageInfo {
  const sorted = [...builds].sort(compareBuilds);
  switch (ref.kind) {
    case 'debian-latest': {
      const inSeries = sorted.filter((b) => b.series === ref.series);
      const newest = inSeries.at(-1);
      if (!newest) throw noSuchSeries(`latest-${ref.series}`, ref.series, sorted);
      return preferredPackage(newest);
    }
    case 'debian-abi': {
      const build = sorted.find((b) => b.abi === ref.abi);
      if (!build) throw notOffered(ref.abi, ref.abi, sorted, (b) => b.abi);
      return preferredPackage(build);
    }
    case 'debian-upstream': {
      // 6.12.117 names the ABI 6.12.117+deb12; 6.1.192 names 6.1.0-56 by its upstream version.
      const byAbi = sorted.filter((b) => b.abi.startsWith(`${ref.version}+deb`));
      const byUpstream = sorted.filter((b) => preferredPackage(b).upstreamVersion === ref.version);
      const match = (byAbi.length > 0 ? byAbi : byUpstream).at(-1);
      if (!match) throw notOffered(ref.version, ref.version, sorted, (b) => preferredPackage(b).upstreamVersion);
      return preferredPackage(match);
    }
    case 'debian-package': {
      const build = sorted.find((b) => b.abi === ref.abi);
      const pkg = build ? (ref.signed ? build.signed : build.unsigned) : null;
      if (pkg) return pkg;
      if (build) {
        const other = preferredPackage(build).package;
        throw new NotInArchiveError(`the archive has no package ${ref.package}`, { hint: `it offers ${other}` });
      }
      throw notOffered(ref.package, ref.abi, sorted, (b) => b.abi);
    }
  }
}

function noSuchSeries(asked: string, series: string, builds: DebianBuild[]): NotInArchiveError {
  const offered = [...new Set(builds.map((b) => b.series))].sort(compareDebianVersions);
  return new NotInArchiveError(
    offered.length === 0
      ? `no Debian build for ${asked}: the archive offers no amd64 kernels at all`
      : `no Debian build for ${asked}: the archive offers no ${series} kernels, only the series ${offered.join(', ')}`,
    offered.length === 0 ? {} : { hint: `try ${offered.map((s) => `latest-${s}`).join(' or ')}` },
  );
}

/**
 * "no Debian build 6.12.999; the archive offers 6.12.100+deb12 … 6.12.117+deb12 (nearest:
 * 6.12.117+deb12)": the series' range plus the builds just below and above what was asked.
 */
function notOffered(
  asked: string,
  version: string,
  builds: DebianBuild[],
  keyOf: (build: DebianBuild) => string,
): NotInArchiveError {
  const series = seriesOf(version);
  const inSeries = builds.filter((b) => b.series === series).sort((a, b) => compareDebianVersions(keyOf(a), keyOf(b)));
  const first = inSeries[0];
  const last = inSeries.at(-1);
  if (!first || !last) return noSuchSeries(asked, series, builds);
  const below = inSeries.filter((b) => compareDebianVersions(keyOf(b), version) < 0).at(-1);
  const above = inSeries.find((b) => compareDebianVersions(keyOf(b), version) > 0);
  const nearest = [below, above].filter((b): b is DebianBuild => b !== undefined).map((b) => b.abi);
  const range = inSeries.length === 1 ? first.abi : `${first.abi} … ${last.abi}`;
  return new NotInArchiveError(
    `no Debian build ${asked}; the archive offers ${range} (${inSeries.length} builds; nearest: ${nearest.join(', ')})`,
    { hint: `pick one of those, or latest-${series}` },
  );
}
