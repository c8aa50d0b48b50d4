import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { HarnessError } from '../util/errors.ts';
import { runTool } from './host-tools.ts';

/** Every file below `dir`, as paths relative to it (symlinks are not followed). */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    for (const entry of await fs.readdir(path.join(dir, rel), { withFileTypes: true })) {
      const child = rel === '' ? entry.name : path.join(rel, entry.name);
      if (entry.isDirectory()) await walk(child);
      else out.push(child);
    }
  };
  await walk('');
  return out.sort();
}

const DECOMPRESSORS: ReadonlyArray<{ suffix: string; command: string; args: string[] }> = [
  { suffix: '.ko.xz', command: 'xz', args: ['-d', '-f', '-q'] },
  { suffix: '.ko.zst', command: 'zstd', args: ['-d', '-f', '-q', '--rm'] },
  { suffix: '.ko.gz', command: 'gzip', args: ['-d', '-f', '-q'] },
];

export function isCompressedModule(file: string): boolean {
  return DECOMPRESSORS.some((d) => file.endsWith(d.suffix));
}

/**
 * Turns every .ko.xz/.ko.zst/.ko.gz below `dir` into a plain .ko, in place. busybox modprobe
 * in the guest handles compressed modules badly (an error line per load, twice as slow).
 * Thousands of small files: one decompressor process per batch, as many batches at once as
 * there are CPUs. Returns how many modules were decompressed.
 */
export async function decompressModules(dir: string): Promise<number> {
  const files = await listFiles(dir);
  const jobs: Array<{ command: string; args: string[] }> = [];
  let count = 0;
  for (const { suffix, command, args } of DECOMPRESSORS) {
    const matching = files.filter((f) => f.endsWith(suffix)).map((f) => path.join(dir, f));
    count += matching.length;
    for (let i = 0; i < matching.length; i += 150) {
      jobs.push({ command, args: [...args, '--', ...matching.slice(i, i + 150)] });
    }
  }
  const workers = Math.max(1, os.availableParallelism());
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let job = jobs[next++]; job; job = jobs[next++]) {
      await runTool(job.command, job.args, { purpose: 'decompress kernel modules', failureKind: 'kernel' });
    }
  };
  await Promise.all(Array.from({ length: Math.min(workers, jobs.length) }, worker));
  return count;
}

/** Writes modules.dep and friends for `root`/lib/modules/`release` (the package ships none). */
export async function runDepmod(root: string, release: string): Promise<void> {
  await runTool('depmod', ['-b', root, release], { purpose: `index the modules of ${release} (depmod)`, failureKind: 'kernel' });
}

/**
 * modules_install leaves `build` and `source` symlinks pointing into the kernel tree; an
 * initramfs builder that follows them would pack the whole tree, so they go.
 */
export async function removeTreeLinks(releaseDir: string): Promise<void> {
  for (const name of ['build', 'source']) {
    const link = path.join(releaseDir, name);
    const stat = await fs.lstat(link).catch(() => null);
    if (stat?.isSymbolicLink()) await fs.rm(link);
  }
}

/** Where a user-supplied modules directory keeps the modules of `release`. */
export interface LocatedModules {
  /** lib/modules/<release> itself. */
  releaseDir: string;
  /** The directory to hand to `depmod -b`, when the layout allows using it in place. */
  root: string | null;
  /** Compressed modules or no modules.dep: must be copied to the cache and fixed there. */
  needsCopy: boolean;
  /** Changes whenever a file below releaseDir changes (path, size, mtime). */
  fingerprint: string;
}

/**
 * Accepts `<root>` (holding lib/modules/<release>/, as `make modules_install
 * INSTALL_MOD_PATH=<root>` leaves it) or lib/modules/<release> itself.
 */
export async function locateModules(modulesDir: string, release: string): Promise<LocatedModules> {
  const dir = await fs.realpath(modulesDir).catch(() => {
    throw new HarnessError('usage', `modules directory ${modulesDir} does not exist`);
  });
  if (!(await fs.stat(dir)).isDirectory()) throw new HarnessError('usage', `modules directory ${modulesDir} is not a directory`);

  let releaseDir: string;
  let root: string | null;
  const underRoot = path.join(dir, 'lib', 'modules', release);
  if (await isDirectory(underRoot)) {
    releaseDir = underRoot;
    root = dir;
  } else if (path.basename(dir) === release) {
    releaseDir = dir;
    const parent = path.dirname(dir);
    const inLayout = path.basename(parent) === 'modules' && path.basename(path.dirname(parent)) === 'lib';
    root = inLayout ? path.dirname(path.dirname(parent)) : null;
  } else {
    const others = await fs.readdir(path.join(dir, 'lib', 'modules')).catch(() => [] as string[]);
    throw new HarnessError(
      'usage',
      others.length > 0
        ? `modules directory ${modulesDir} has modules for ${others.join(', ')}, but the kernel's release is ${release}`
        : `modules directory ${modulesDir} holds no lib/modules/${release}/`,
      { hint: `give the INSTALL_MOD_PATH of 'make modules_install', or the lib/modules/${release} directory itself` },
    );
  }

  const files = await listFiles(releaseDir);
  if (!files.some((f) => f.endsWith('.ko') || isCompressedModule(f))) {
    throw new HarnessError('usage', `modules directory ${releaseDir} contains no kernel modules (.ko)`);
  }
  const needsCopy = root === null || files.some(isCompressedModule) || !files.includes('modules.dep');
  return { releaseDir, root, needsCopy, fingerprint: await fingerprintFiles(releaseDir, files) };
}

export async function fingerprintFiles(dir: string, files: string[]): Promise<string> {
  const hash = crypto.createHash('sha256').update(dir);
  for (const file of files) {
    const stat = await fs.lstat(path.join(dir, file)).catch(() => null);
    hash.update(`\n${file}\0${stat?.size ?? -1}\0${stat?.mtimeMs ?? -1}`);
  }
  return hash.digest('hex');
}

export async function isDirectory(p: string): Promise<boolean> {
  return (await fs.stat(p).catch(() => null))?.isDirectory() ?? false;
}

export async function isFile(p: string): Promise<boolean> {
  return (await fs.stat(p).catch(() => null))?.isFile() ?? false;
}
