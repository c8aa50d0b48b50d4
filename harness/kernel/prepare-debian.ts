import fs from 'node:fs/promises';
import path from 'node:path';
import { HarnessError } from '../util/errors.ts';
import { ensurePreparedDir } from '../util/prepared-dir.ts';
import type { Progress } from '../util/progress.ts';
import { parseBzImageHeader } from './bzimage.ts';
import { readHead } from './kernel-file.ts';
import type { DebianPackageInfo } from './debian-archive.ts';
import { hasPvhEntryNote } from './elf.ts';
import { extractVmlinux } from './extract-vmlinux.ts';
import { kernelEntryDir, loadPreparedEntry, writeManifest } from './kernel-cache.ts';
import { decompressModules, isDirectory, runDepmod } from './modules.ts';
import type { PreparedKernel } from './prepared-kernel.ts';
import { runTool } from './host-tools.ts';

/** Cache id of a Debian package: debian-6.12.117+deb12-amd64-unsigned, debian-6.1.0-56-amd64. */
export function debianKernelId(packageName: string): string {
  return `debian-${packageName.replace(/^linux-image-/, '')}`;
}

/**
 * Downloads one Debian kernel package and lays it out as a cache entry:
 *   boot/{vmlinuz,config,System.map}-<release>   as shipped
 *   vmlinux                                      uncompressed, booted through its PVH entry
 *   modules/lib/modules/<release>/               plain .ko files, depmod-ed
 *   kernel.json                                  the PreparedKernel, paths relative
 * The .deb and everything else in it (docs, lintian overrides) are dropped.
 */
export async function prepareDebianKernel(
  pkg: DebianPackageInfo,
  cacheDir: string,
  progress: Progress,
): Promise<PreparedKernel> {
  const id = debianKernelId(pkg.package);
  const entryDir = kernelEntryDir(cacheDir, id);
  await ensurePreparedDir(entryDir, (workDir) => buildEntry(pkg, id, workDir, progress));
  return loadPreparedEntry(entryDir);
}

async function buildEntry(pkg: DebianPackageInfo, id: string, workDir: string, progress: Progress): Promise<void> {
  const started = Date.now();
  const notes: string[] = [];
  const downloadDir = path.join(workDir, 'download');
  const unpackDir = path.join(workDir, 'unpack');
  await fs.mkdir(downloadDir);

  await progress.step(`download ${pkg.package} ${pkg.debianVersion}`, () =>
    // apt-get download writes into its cwd; pinning the version keeps it the one described.
    runTool('apt-get', ['download', `${pkg.package}=${pkg.debianVersion}`], {
      purpose: `download ${pkg.package}`,
      cwd: downloadDir,
      timeoutMs: 15 * 60_000,
    }).catch((error: unknown) => {
      // Most often the local package lists name a version the mirror has since dropped.
      if (error instanceof HarnessError && error.kind === 'prerequisite' && !error.details.hint) {
        throw new HarnessError(error.kind, error.message, { hint: 'if the archive has moved on, run: sudo apt-get update', cause: error });
      }
      throw error;
    }),
  );
  const debs = (await fs.readdir(downloadDir)).filter((f) => f.endsWith('.deb'));
  const deb = debs[0];
  if (debs.length !== 1 || !deb) {
    throw new HarnessError('prerequisite', `apt-get download ${pkg.package} left ${debs.length} .deb files instead of one`);
  }
  await progress.step(`unpack ${deb}`, () =>
    runTool('dpkg-deb', ['-x', path.join(downloadDir, deb), unpackDir], { purpose: `unpack ${deb}` }),
  );
  await fs.rm(downloadDir, { recursive: true, force: true });

  const { release, modulesParent } = await releaseOfPackage(unpackDir, pkg.package);
  const bootDir = path.join(workDir, 'boot');
  await fs.mkdir(bootDir);
  for (const name of [`vmlinuz-${release}`, `config-${release}`, `System.map-${release}`]) {
    await fs.rename(path.join(unpackDir, 'boot', name), path.join(bootDir, name)).catch((error: unknown) => {
      throw new HarnessError('kernel', `${pkg.package} has no boot/${name}`, { cause: error });
    });
  }
  const bzImage = path.join(bootDir, `vmlinuz-${release}`);
  let header;
  try {
    header = parseBzImageHeader(await readHead(bzImage));
  } catch (error) {
    throw new HarnessError('kernel', `${pkg.package}: boot/vmlinuz-${release} is not a usable bzImage: ${(error as Error).message}`);
  }
  if (header.release !== release) {
    throw new HarnessError('kernel', `${pkg.package}: the bzImage says release ${header.release}, the file name says ${release}`);
  }

  const modulesRoot = path.join(workDir, 'modules');
  const releaseDir = path.join(modulesRoot, 'lib', 'modules', release);
  await fs.mkdir(path.dirname(releaseDir), { recursive: true });
  await fs.rename(path.join(modulesParent, release), releaseDir);
  await fs.rm(unpackDir, { recursive: true, force: true });

  const decompressed = await progress.step(`decompress modules of ${release}`, () => decompressModules(releaseDir));
  if (decompressed > 0) notes.push(`decompressed ${decompressed} modules`);
  await progress.step(`depmod ${release}`, () => runDepmod(modulesRoot, release));

  const vmlinuxPath = path.join(workDir, 'vmlinux');
  const extracted = await progress.step(`extract vmlinux from ${path.basename(bzImage)}`, () =>
    extractVmlinux(bzImage, vmlinuxPath),
  );
  let vmlinux: string | null = null;
  if (!extracted) {
    notes.push('no vmlinux could be extracted; booting the bzImage');
    progress.info(`note: could not extract vmlinux from ${pkg.package}; the guest will boot the slower bzImage`);
  } else {
    vmlinux = vmlinuxPath;
    notes.push(`vmlinux extracted (${extracted.compressor} payload at 0x${extracted.offset.toString(16)})`);
  }
  const pvh = vmlinux !== null && (await hasPvhEntryNote(vmlinux));
  if (vmlinux && !pvh) notes.push('vmlinux has no PVH entry note; booting the bzImage');

  const kernel: PreparedKernel = {
    id,
    release,
    source: {
      kind: 'debian',
      package: pkg.package,
      debianVersion: pkg.debianVersion,
      upstreamVersion: pkg.upstreamVersion,
      signed: pkg.signed,
    },
    bootImage: pvh && vmlinux ? vmlinux : bzImage,
    bzImage,
    vmlinux,
    modulesRoot,
    configPath: path.join(bootDir, `config-${release}`),
    systemMap: path.join(bootDir, `System.map-${release}`),
  };
  await writeManifest(workDir, kernel, { prepareSeconds: (Date.now() - started) / 1000, notes });
}

/**
 * The release is the one lib/modules/ directory the package ships (usr/lib/modules/ in
 * merged-/usr packages of later Debian releases).
 */
async function releaseOfPackage(unpackDir: string, packageName: string): Promise<{ release: string; modulesParent: string }> {
  for (const candidate of [path.join(unpackDir, 'lib', 'modules'), path.join(unpackDir, 'usr', 'lib', 'modules')]) {
    if (!(await isDirectory(candidate))) continue;
    const releases = await fs.readdir(candidate);
    const release = releases[0];
    if (releases.length !== 1 || !release) {
      throw new HarnessError('kernel', `${packageName} ships ${releases.length} directories in ${candidate}, expected one`);
    }
    return { release, modulesParent: candidate };
  }
  throw new HarnessError('kernel', `${packageName} ships no lib/modules/ directory`);
}
