import { execa } from 'execa';
import { HarnessError } from '../util/errors.ts';
import type { Progress } from '../util/progress.ts';
import { isRoot, refreshAptLists, tailOf } from './apt-lists.ts';

/** A Debian package the host needs, and what for (shown when it is missing). */
export interface HostPackage {
  name: string;
  why: string;
}

export const HOST_PACKAGES: readonly HostPackage[] = [
  { name: 'qemu-system-x86', why: 'runs the guests' },
  { name: 'busybox-static', why: 'the guest userspace' },
  { name: 'dropbear-bin', why: 'SSH server in the guest, and its host key' },
  { name: 'kmod', why: 'depmod for guest modules' },
  { name: 'cpio', why: 'builds the initramfs' },
  { name: 'util-linux', why: 'lsmem/chmem in the guest; setpriv ties QEMU to the harness' },
  { name: 'ndctl', why: 'NVDIMM namespaces in the guest' },
  { name: 'daxctl', why: 'devdax to system RAM in the guest' },
  { name: 'gcc', why: 'builds the static guest helper' },
  { name: 'libc6-dev', why: 'static libc for the guest helper' },
  { name: 'xz-utils', why: 'decompresses kernel modules and images' },
  { name: 'zstd', why: 'decompresses 6.12 kernel images' },
  { name: 'gzip', why: 'compresses initramfs parts' },
];

export interface PrerequisiteReport {
  missing: HostPackage[];
  installed: string[];
}

/** Asks dpkg which of the packages are installed; the host is Debian by product design. */
export async function findMissingPackages(packages: readonly HostPackage[] = HOST_PACKAGES): Promise<HostPackage[]> {
  const result = await execa('dpkg-query', ['-W', '-f=${Package} ${db:Status-Abbrev}\\n', ...packages.map((p) => p.name)], {
    reject: false,
  }).catch((error: unknown) => {
    throw new HarnessError('prerequisite', `cannot ask dpkg which packages are installed: ${String(error)}`, {
      hint: 'memharness needs a Debian (or derived) host with dpkg and apt',
    });
  });
  const installed = new Set(
    result.stdout
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .filter(([, status]) => status === 'ii')
      .map(([name]) => name),
  );
  return packages.filter((p) => !installed.has(p.name));
}

/** The report of the first full check in this process: every command checks once, before its kernel. */
let ensured: Promise<PrerequisiteReport> | null = null;

/**
 * Installs what is missing with apt when running as root (refreshing the package lists first,
 * once per process); otherwise fails, naming each package and the command to run. The default
 * package set is checked once per process: the command's pre-action and the launch share it.
 */
export function ensureHostPackages(options: {
  install: boolean;
  progress: Progress;
  packages?: readonly HostPackage[];
}): Promise<PrerequisiteReport> {
  if (options.packages) return installMissing(options.packages, options);
  ensured ??= installMissing(HOST_PACKAGES, options);
  ensured.catch(() => {
    ensured = null;
  });
  return ensured;
}

async function installMissing(packages: readonly HostPackage[], options: { install: boolean; progress: Progress }): Promise<PrerequisiteReport> {
  const missing = await findMissingPackages(packages);
  if (missing.length === 0) return { missing: [], installed: [] };
  const names = missing.map((p) => p.name);
  const list = missing.map((p) => `  ${p.name} (${p.why})`).join('\n');
  if (!options.install) {
    throw new HarnessError('prerequisite', `host packages missing:\n${list}`, {
      hint: `run \`memharness doctor --install\` as root, or: sudo apt-get install ${names.join(' ')}`,
    });
  }
  if (!isRoot()) {
    throw new HarnessError('prerequisite', `host packages missing, and installing them needs root:\n${list}`, {
      hint: `sudo apt-get update && sudo apt-get install ${names.join(' ')}`,
    });
  }
  // Lists months old may name versions the archive no longer serves: always refresh before installing.
  await refreshAptLists(options.progress, `before installing ${names.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await options.progress.step(`apt-get install ${names.join(' ')}`, async () => {
    const install = await execa('apt-get', ['install', '-y', '-q', ...names], { env, reject: false, all: true, stdin: 'ignore' });
    if (install.exitCode !== 0) {
      throw new HarnessError('prerequisite', `apt-get install failed (exit ${install.exitCode}) for:\n${list}`, {
        hint: `apt said:\n${tailOf(install.all)}`,
      });
    }
  });
  const stillMissing = await findMissingPackages(missing);
  if (stillMissing.length > 0) {
    throw new HarnessError('prerequisite', `still missing after apt-get install: ${stillMissing.map((p) => p.name).join(', ')}`);
  }
  return { missing: [], installed: names };
}
