import { HarnessError } from '../util/errors.ts';
import { silentProgress, type Progress } from '../util/progress.ts';
import { aptArchive, findInArchive, preferredPackage } from './debian-archive.ts';
import { diskUsage, kernelsDir, listCachedKernels } from './kernel-cache.ts';
import type { KernelSource } from './prepared-kernel.ts';

/** A prepared kernel in the cache. */
export interface CachedKernelInfo {
  id: string;
  release: string;
  source: KernelSource;
  /** Bytes the cache entry takes on disk (a user's own image or modules used in place are not counted). */
  sizeBytes: number;
  /** The cache entry directory. */
  path: string;
  bootImage: string;
}

/** A plain amd64 kernel build the Debian archive offers. */
export interface ArchiveKernelInfo {
  /** The package a version ref resolves to: the unsigned one when offered. */
  package: string;
  /** 6.1.0-56 or 6.12.117+deb12. */
  abi: string;
  series: string;
  debianVersion: string;
  upstreamVersion: string;
  flavours: Array<'unsigned' | 'signed'>;
  /** Either of its packages is prepared in the cache. */
  cached: boolean;
  /** The build latest-<series> resolves to. */
  latest: boolean;
}

export interface KernelList {
  cached: CachedKernelInfo[];
  /** Oldest first. Empty when the archive could not be asked (see archiveError). */
  archive: ArchiveKernelInfo[];
  /** Why the archive part is empty, e.g. no apt on this host. */
  archiveError?: string;
}

export async function listKernels(options: { cacheDir: string; progress?: Progress }): Promise<KernelList> {
  const cachedEntries = await listCachedKernels(options.cacheDir);
  const cached: CachedKernelInfo[] = [];
  for (const entry of cachedEntries) {
    cached.push({
      id: entry.kernel.id,
      release: entry.kernel.release,
      source: entry.kernel.source,
      sizeBytes: await diskUsage(entry.entryDir),
      path: entry.entryDir,
      bootImage: entry.kernel.bootImage,
    });
  }
  const cachedPackages = new Set(cached.map((c) => (c.source.kind === 'debian' ? c.source.package : '')));

  let builds;
  try {
    builds = await findInArchive((all) => all, aptArchive(options.progress ?? silentProgress));
  } catch (error) {
    if (!(error instanceof HarnessError)) throw error;
    return { cached, archive: [], archiveError: error.message };
  }
  const newestOfSeries = new Map(builds.map((b) => [b.series, b.abi]));
  const archive = builds.map((build): ArchiveKernelInfo => {
    const pkg = preferredPackage(build);
    const flavours: ArchiveKernelInfo['flavours'] = [];
    if (build.unsigned) flavours.push('unsigned');
    if (build.signed) flavours.push('signed');
    return {
      package: pkg.package,
      abi: build.abi,
      series: build.series,
      debianVersion: pkg.debianVersion,
      upstreamVersion: pkg.upstreamVersion,
      flavours,
      cached: [build.unsigned, build.signed].some((p) => p !== null && cachedPackages.has(p.package)),
      latest: newestOfSeries.get(build.series) === build.abi,
    };
  });
  return { cached, archive };
}

function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => `  ${r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ')}`.trimEnd());
}

function describeSource(source: KernelSource): string {
  switch (source.kind) {
    case 'debian':
      return `${source.package} ${source.debianVersion}`;
    case 'image':
      return `image ${source.path}${source.modulesDir ? ` + modules ${source.modulesDir}` : ''}`;
    case 'build-tree':
      return `build tree ${source.path}`;
  }
}

const mib = (bytes: number): string => `${(bytes / (1 << 20)).toFixed(0)} MiB`;

/** The text the CLI prints for its kernel listing. */
export function formatKernelList(list: KernelList, options: { cacheDir?: string } = {}): string {
  const lines: string[] = [];
  const where = options.cacheDir ? ` in ${kernelsDir(options.cacheDir)}` : '';
  if (list.cached.length === 0) {
    lines.push(`Prepared kernels${where}: none`);
  } else {
    lines.push(`Prepared kernels${where}:`);
    lines.push(...table([['ID', 'RELEASE', 'SIZE', 'SOURCE'], ...list.cached.map((c) => [c.id, c.release, mib(c.sizeBytes), describeSource(c.source)])]));
  }
  lines.push('');
  if (list.archiveError) {
    lines.push(`Debian archive: not available (${list.archiveError})`);
  } else if (list.archive.length === 0) {
    lines.push('Debian archive: offers no amd64 kernels');
  } else {
    lines.push('Debian archive (amd64; a version ref uses the unsigned package when there is one):');
    const rows = list.archive.map((a) => [
      a.abi,
      a.upstreamVersion,
      a.debianVersion,
      a.flavours.join('+'),
      [a.cached ? 'cached' : '', a.latest ? `= latest-${a.series}` : ''].filter(Boolean).join(', '),
    ]);
    lines.push(...table([['ABI', 'UPSTREAM', 'DEBIAN VERSION', 'PACKAGES', ''], ...rows]));
  }
  return lines.join('\n');
}
