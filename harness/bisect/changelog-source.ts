import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { runTool } from '../kernel/host-tools.ts';
import { writeFileAtomic } from '../results/atomic-write.ts';
import type { Progress } from '../util/progress.ts';

export interface FetchedChangelog {
  /** The package it came from: linux-support-<abi>. */
  package: string;
  abi: string;
  /** The decompressed changelog text. */
  text: string;
  /** Where it is cached. */
  file: string;
}

/** Downloads linux-support-<abi> into `dir` and extracts it there: the real thing, apt and dpkg-deb. */
export type SupportPackageFetcher = (pkg: string, dir: string) => Promise<void>;

const aptFetcher: SupportPackageFetcher = async (pkg, dir) => {
  const download = path.join(dir, 'download');
  await fs.mkdir(download, { recursive: true });
  await runTool('apt-get', ['download', pkg], { purpose: `download ${pkg}`, cwd: download, timeoutMs: 5 * 60_000 });
  const debs = (await fs.readdir(download)).filter((name) => name.endsWith('.deb'));
  if (debs.length !== 1) throw new Error(`apt-get download ${pkg} left ${debs.length} .deb files`);
  await runTool('dpkg-deb', ['-x', path.join(download, debs[0]!), path.join(dir, 'root')], { purpose: `unpack ${debs[0]}` });
};

/** Whether the archive offers the package at all: asked locally (apt-cache), so a missing one costs no download attempt. */
export type PackageAvailability = (pkg: string) => Promise<boolean>;

const aptAvailability: PackageAvailability = async (pkg) => {
  try {
    return (await runTool('apt-cache', ['show', '--no-all-versions', pkg], { purpose: `look up ${pkg}` })).includes(`Package: ${pkg}`);
  } catch {
    return false;
  }
};

export function changelogCacheFile(cacheDir: string, abi: string): string {
  return path.join(cacheDir, 'changelogs', `linux-support-${abi}.changelog`);
}

/**
 * The Debian changelog of a kernel build, from its linux-support-<abi> package
 * (/usr/share/doc/linux-support-<abi>/changelog.Debian.gz), cached decompressed under the
 * cache dir. Not every build has that package in the archive (6.1.0-48 has none here), but a
 * newer build's changelog holds every older upload of the same source, so the ABIs are tried
 * in order and the first whose changelog names `mustContain` wins. Returns the reasons
 * instead when none does: the report then says why it has no changelog, and the bisect's
 * answer stands.
 */
export async function fetchChangelog(
  abis: readonly string[],
  mustContain: string,
  options: { cacheDir: string; progress: Progress; fetcher?: SupportPackageFetcher; available?: PackageAvailability },
): Promise<FetchedChangelog | { errors: string[] }> {
  const errors: string[] = [];
  for (const abi of abis) {
    const pkg = `linux-support-${abi}`;
    const file = changelogCacheFile(options.cacheDir, abi);
    let text = await fs.readFile(file, 'utf8').catch(() => null);
    if (text === null) {
      if (!(await (options.available ?? aptAvailability)(pkg))) {
        errors.push(`${pkg}: not in the archive`);
        continue;
      }
      try {
        text = await options.progress.step(`download ${pkg} (its changelog)`, () => downloadChangelog(pkg, options.fetcher ?? aptFetcher));
      } catch (error) {
        errors.push(`${pkg}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
        continue;
      }
      await fs.mkdir(path.dirname(file), { recursive: true });
      await writeFileAtomic(file, text);
    }
    if (text.includes(`(${mustContain})`)) return { package: pkg, abi, text, file };
    errors.push(`${pkg}: its changelog has no entry for ${mustContain}`);
  }
  return { errors };
}

async function downloadChangelog(pkg: string, fetcher: SupportPackageFetcher): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'memharness-changelog-'));
  try {
    await fetcher(pkg, dir);
    const gz = path.join(dir, 'root', 'usr', 'share', 'doc', pkg, 'changelog.Debian.gz');
    return gunzipSync(await fs.readFile(gz)).toString('utf8');
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
