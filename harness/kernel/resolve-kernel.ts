import fs from 'node:fs/promises';
import path from 'node:path';
import { HarnessError } from '../util/errors.ts';
import type { Progress } from '../util/progress.ts';
import { aptArchive, findInArchive } from './debian-archive.ts';
import { selectDebianPackage } from './debian-select.ts';
import { compareDebianVersions } from './debian-version.ts';
import { filesPresent, listCachedKernels, type CachedKernel } from './kernel-cache.ts';
import { identifyKernelFile } from './kernel-file.ts';
import { DEFAULT_KERNEL_REF, parseKernelRef, type DebianKernelRef } from './kernel-ref.ts';
import { isBuildTree, prepareBuildTree } from './prepare-build-tree.ts';
import { prepareDebianKernel } from './prepare-debian.ts';
import { prepareLocalImage } from './prepare-local.ts';
import type { PreparedKernel } from './prepared-kernel.ts';

export { DEFAULT_KERNEL_REF };

export interface ResolveKernelOptions {
  /** Modules for a kernel image given by path (see locateModules for accepted layouts). */
  modulesDir?: string;
  cacheDir: string;
  progress: Progress;
}

/**
 * Turns a --kernel value into a kernel ready to boot, preparing and caching it on first use
 * (concurrent callers, even in other processes, share one preparation). undefined means
 * DEFAULT_KERNEL_REF. Forms: latest-6.1 | latest-6.12 | 6.12.117 | 6.1.0-56 |
 * linux-image-<abi>-amd64[-unsigned] | path to a bzImage or ELF vmlinux | kernel build tree.
 */
export async function resolveKernel(ref: string | undefined, options: ResolveKernelOptions): Promise<PreparedKernel> {
  const parsed = parseKernelRef(ref);
  if (parsed.kind === 'path') return resolvePath(ref ?? parsed.path, parsed.path, options);
  if (options.modulesDir !== undefined) {
    throw new HarnessError('usage', `a modules directory only goes with a kernel image given by path; ${ref ?? DEFAULT_KERNEL_REF} brings its own modules`);
  }
  return resolveDebian(parsed, options);
}

async function resolveDebian(ref: DebianKernelRef, options: ResolveKernelOptions): Promise<PreparedKernel> {
  const cached = await findCachedDebian(ref, options.cacheDir);
  if (cached) {
    if (await filesPresent(cached.kernel)) return cached.kernel;
    // Files were deleted from under the entry: drop it and prepare afresh.
    await fs.rm(cached.entryDir, { recursive: true, force: true });
  }
  let pkg;
  try {
    pkg = await findInArchive((builds) => selectDebianPackage(ref, builds), aptArchive(options.progress));
  } catch (error) {
    // Without apt (or its lists), `latest-X` can still mean the newest build already cached.
    const series = ref.kind === 'debian-latest' ? ref.series : null;
    const fallback = series === null ? null : await newestCachedInSeries(series, options.cacheDir);
    if (!fallback || !(error instanceof HarnessError) || error.kind !== 'prerequisite') throw error;
    options.progress.info(`note: ${error.message}; using the newest cached ${series} kernel, ${fallback.kernel.release}`);
    return fallback.kernel;
  }
  return prepareDebianKernel(pkg, options.cacheDir, options.progress);
}

/**
 * A cached Debian kernel an exact ref names, found without asking apt (works offline and
 * saves half a second). `latest-X` always asks apt, since a newer build may have appeared.
 */
async function findCachedDebian(ref: DebianKernelRef, cacheDir: string): Promise<CachedKernel | null> {
  if (ref.kind === 'debian-latest') return null;
  const debian = (await listCachedKernels(cacheDir)).filter((c) => c.kernel.source.kind === 'debian');
  const packageOf = (c: CachedKernel): string => (c.kernel.source.kind === 'debian' ? c.kernel.source.package : '');
  const byPackage = (name: string): CachedKernel | null => debian.find((c) => packageOf(c) === name) ?? null;
  switch (ref.kind) {
    case 'debian-package':
      return byPackage(ref.package);
    case 'debian-abi':
      return byPackage(`linux-image-${ref.abi}-amd64-unsigned`) ?? byPackage(`linux-image-${ref.abi}-amd64`);
    case 'debian-upstream': {
      const matches = debian.filter((c) => {
        const source = c.kernel.source;
        if (source.kind !== 'debian') return false;
        const abi = packageOf(c).replace(/^linux-image-/, '');
        return abi.startsWith(`${ref.version}+deb`) || source.upstreamVersion === ref.version;
      });
      return newest(matches);
    }
  }
}

async function newestCachedInSeries(series: string, cacheDir: string): Promise<CachedKernel | null> {
  const inSeries = (await listCachedKernels(cacheDir)).filter(
    (c) => c.kernel.source.kind === 'debian' && c.kernel.source.upstreamVersion.startsWith(`${series}.`),
  );
  return newest(inSeries);
}

function newest(kernels: CachedKernel[]): CachedKernel | null {
  const version = (c: CachedKernel): string => (c.kernel.source.kind === 'debian' ? c.kernel.source.debianVersion : '');
  return [...kernels].sort((a, b) => compareDebianVersions(version(a), version(b))).at(-1) ?? null;
}

async function resolvePath(given: string, p: string, options: ResolveKernelOptions): Promise<PreparedKernel> {
  const target = path.resolve(p);
  const stat = await fs.stat(target).catch(() => null);
  if (!stat) {
    throw new HarnessError('usage', `kernel '${given}' is neither a Debian kernel reference nor an existing file or directory`, {
      hint: 'give latest-6.1, latest-6.12, a version (6.12.117, 6.1.0-56), a package name, or a path to a bzImage, a vmlinux or a kernel build tree',
    });
  }
  if (stat.isDirectory()) {
    if (!(await isBuildTree(target))) {
      throw new HarnessError('kernel', `${target} is a directory but not a built x86 kernel tree (it needs a Makefile and arch/x86/boot/bzImage)`, {
        hint: 'run make in the tree first, or give the path of a bzImage or vmlinux file',
      });
    }
    if (options.modulesDir !== undefined) {
      throw new HarnessError('usage', `a modules directory does not go with a build tree: the tree's own modules are installed from ${target}`);
    }
    return prepareBuildTree(target, options.cacheDir, options.progress);
  }
  const image = await identifyKernelFile(target);
  return prepareLocalImage(image, options.modulesDir, options.cacheDir, options.progress);
}
