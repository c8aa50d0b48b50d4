import crypto from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ensurePreparedDir } from '../util/prepared-dir.ts';
import type { Progress } from '../util/progress.ts';
import { extractVmlinux } from './extract-vmlinux.ts';
import { hasPvhEntryNote } from './elf.ts';
import { kernelEntryDir, loadPreparedEntry, writeManifest } from './kernel-cache.ts';
import type { KernelFile } from './kernel-file.ts';
import { decompressModules, isFile, locateModules, runDepmod, type LocatedModules } from './modules.ts';
import type { PreparedKernel } from './prepared-kernel.ts';

export async function sha256File(file: string): Promise<string> {
  const hash = crypto.createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

/**
 * A bzImage or vmlinux given by path. The cache entry (image-<sha256 prefix>) holds the
 * vmlinux extracted from a bzImage and kernel.json; the image itself stays where it is.
 * Modules are used in place when they are plain .ko files with a modules.dep in a
 * lib/modules/<release> layout; otherwise they are copied into the entry and fixed there.
 * The id includes a fingerprint of the modules, because what ends up in the guest differs.
 */
export async function prepareLocalImage(
  image: KernelFile,
  modulesDir: string | undefined,
  cacheDir: string,
  progress: Progress,
): Promise<PreparedKernel> {
  const file = path.resolve(image.path);
  const digest = await progress.step(`hash ${path.basename(file)}`, () => sha256File(file));
  const modules = modulesDir === undefined ? null : await locateModules(modulesDir, image.release);
  const id = `image-${digest.slice(0, 16)}${modules ? `-modules-${modules.fingerprint.slice(0, 12)}` : ''}`;
  const entryDir = kernelEntryDir(cacheDir, id);

  await ensurePreparedDir(entryDir, async (workDir) => {
    const started = Date.now();
    const notes: string[] = [];
    let vmlinux: string | null = null;
    let bootImage = file;
    if (image.kind === 'bzImage') {
      const out = path.join(workDir, 'vmlinux');
      const extracted = await progress.step(`extract vmlinux from ${file}`, () => extractVmlinux(file, out));
      if (extracted && (await hasPvhEntryNote(out))) {
        vmlinux = out;
        bootImage = out;
        notes.push(`vmlinux extracted (${extracted.compressor} payload at 0x${extracted.offset.toString(16)})`);
      } else {
        // A vmlinux without the PVH note cannot be booted by QEMU; don't keep 60 MB for nothing.
        await fs.rm(out, { force: true });
        const why = extracted ? 'the extracted vmlinux has no PVH entry note (CONFIG_PVH=n)' : 'no vmlinux could be extracted';
        notes.push(`${why}; booting the bzImage`);
        progress.info(`note: ${why}; the guest will boot the bzImage (slower under TCG)`);
      }
    } else {
      vmlinux = file;
    }
    const modulesRoot = modules ? await prepareModules(modules, image.release, workDir, progress, notes) : null;
    const kernel: PreparedKernel = {
      id,
      release: image.release,
      source: { kind: 'image', path: file, modulesDir: modulesDir === undefined ? null : path.resolve(modulesDir) },
      bootImage,
      bzImage: image.kind === 'bzImage' ? file : null,
      vmlinux,
      modulesRoot,
      configPath: await siblingIfPresent(file, `config-${image.release}`),
      systemMap: await siblingIfPresent(file, `System.map-${image.release}`),
    };
    await writeManifest(workDir, kernel, { prepareSeconds: (Date.now() - started) / 1000, notes });
  });
  return loadPreparedEntry(entryDir);
}

/** Returns the modules root to record: the user's own, or a fixed-up copy in the entry. */
export async function prepareModules(
  modules: LocatedModules,
  release: string,
  workDir: string,
  progress: Progress,
  notes: string[],
): Promise<string> {
  if (!modules.needsCopy && modules.root) return modules.root;
  const root = path.join(workDir, 'modules');
  const releaseDir = path.join(root, 'lib', 'modules', release);
  await progress.step(`copy modules from ${modules.releaseDir}`, async () => {
    await fs.mkdir(path.dirname(releaseDir), { recursive: true });
    // verbatimSymlinks keeps build/source links as links (dropped below), never their trees.
    await fs.cp(modules.releaseDir, releaseDir, { recursive: true, verbatimSymlinks: true, filter: (src) => !isTreeLink(src, modules.releaseDir) });
  });
  const count = await progress.step(`decompress modules of ${release}`, () => decompressModules(releaseDir));
  await progress.step(`depmod ${release}`, () => runDepmod(root, release));
  notes.push(`modules copied from ${modules.releaseDir}${count > 0 ? `, ${count} decompressed` : ''}`);
  return root;
}

function isTreeLink(src: string, releaseDir: string): boolean {
  const rel = path.relative(releaseDir, src);
  return rel === 'build' || rel === 'source';
}

/** A /boot-style layout keeps config-<release> and System.map-<release> beside the image. */
async function siblingIfPresent(image: string, name: string): Promise<string | null> {
  const candidate = path.join(path.dirname(image), name);
  return (await isFile(candidate)) ? candidate : null;
}
