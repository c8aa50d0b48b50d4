import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { HarnessError } from '../util/errors.ts';
import { ensurePreparedDir } from '../util/prepared-dir.ts';
import type { Progress } from '../util/progress.ts';
import { parseBzImageHeader } from './bzimage.ts';
import { EM_X86_64, hasPvhEntryNote, isElf, parseElfHeader } from './elf.ts';
import { extractVmlinux } from './extract-vmlinux.ts';
import { runTool } from './host-tools.ts';
import { kernelEntryDir, loadPreparedEntry, writeManifest } from './kernel-cache.ts';
import { readHead } from './kernel-file.ts';
import { decompressModules, isFile, removeTreeLinks, runDepmod } from './modules.ts';
import { sha256File } from './prepare-local.ts';
import type { PreparedKernel } from './prepared-kernel.ts';

/** What makes a directory a built x86 kernel tree. */
export const TREE_BZIMAGE = path.join('arch', 'x86', 'boot', 'bzImage');

export async function isBuildTree(dir: string): Promise<boolean> {
  return (await isFile(path.join(dir, 'Makefile'))) && (await isFile(path.join(dir, TREE_BZIMAGE)));
}

/**
 * A kernel build tree (after `make`). The cache entry (tree-<hash>) is keyed by the bzImage
 * and the built modules, so a rebuild gets a new entry. It holds the installed modules
 * (`make modules_install`, stripped, decompressed, depmod-ed), a copy of .config and
 * System.map, and a vmlinux extracted from the bzImage when the tree's own vmlinux cannot be
 * booted directly; the tree's vmlinux and bzImage are used in place.
 */
export async function prepareBuildTree(treeDir: string, cacheDir: string, progress: Progress): Promise<PreparedKernel> {
  const tree = await fs.realpath(treeDir);
  const bzImage = path.join(tree, TREE_BZIMAGE);
  const release = await treeRelease(tree, bzImage);
  const modulesOrder = path.join(tree, 'modules.order');
  const hasModules = await isFile(modulesOrder);

  const key = crypto.createHash('sha256').update(tree).update(await sha256File(bzImage));
  if (hasModules) key.update(await builtModulesFingerprint(tree, modulesOrder));
  const id = `tree-${key.digest('hex').slice(0, 16)}`;
  const entryDir = kernelEntryDir(cacheDir, id);

  await ensurePreparedDir(entryDir, async (workDir) => {
    const started = Date.now();
    const notes: string[] = [];
    const vmlinux = await bootableVmlinux(tree, bzImage, workDir, progress, notes);

    let modulesRoot: string | null = null;
    if (hasModules) {
      modulesRoot = path.join(workDir, 'modules');
      await progress.step(`make modules_install (${release})`, () =>
        runTool(
          'make',
          ['-C', tree, 'modules_install', `INSTALL_MOD_PATH=${modulesRoot}`, 'INSTALL_MOD_STRIP=1'],
          { purpose: `install the modules of ${tree}`, failureKind: 'kernel', timeoutMs: 20 * 60_000 },
        ),
      );
      const releaseDir = path.join(modulesRoot, 'lib', 'modules', release);
      if (!(await fs.stat(releaseDir).catch(() => null))) {
        throw new HarnessError('kernel', `make modules_install in ${tree} did not create lib/modules/${release}/`);
      }
      await removeTreeLinks(releaseDir);
      // CONFIG_MODULE_COMPRESS_* makes modules_install compress; the guest wants plain .ko.
      const count = await decompressModules(releaseDir);
      if (count > 0) notes.push(`decompressed ${count} modules`);
      await progress.step(`depmod ${release}`, () => runDepmod(modulesRoot ?? '', release));
    } else {
      notes.push('no modules.order: kernel built without modules');
    }

    const configPath = await copyIfPresent(path.join(tree, '.config'), path.join(workDir, 'config'));
    const systemMap = await copyIfPresent(path.join(tree, 'System.map'), path.join(workDir, 'System.map'));
    const kernel: PreparedKernel = {
      id,
      release,
      source: { kind: 'build-tree', path: tree },
      bootImage: vmlinux ?? bzImage,
      bzImage,
      vmlinux,
      modulesRoot,
      configPath,
      systemMap,
    };
    await writeManifest(workDir, kernel, { prepareSeconds: (Date.now() - started) / 1000, notes });
  });
  return loadPreparedEntry(entryDir);
}

/** include/config/kernel.release, checked against the bzImage so a half-built tree is caught. */
async function treeRelease(tree: string, bzImage: string): Promise<string> {
  const file = path.join(tree, 'include', 'config', 'kernel.release');
  const release = (await fs.readFile(file, 'utf8').catch(() => '')).trim();
  if (!release) {
    throw new HarnessError('kernel', `${tree} has no include/config/kernel.release`, { hint: 'build the tree first: make -j$(nproc)' });
  }
  let header;
  try {
    header = parseBzImageHeader(await readHead(bzImage));
  } catch (error) {
    throw new HarnessError('kernel', `${bzImage} is not a usable bzImage: ${(error as Error).message}`);
  }
  if (header.release !== release) {
    throw new HarnessError(
      'kernel',
      `${tree} is half-built: its bzImage is ${header.release} but include/config/kernel.release says ${release}`,
      { hint: 'finish the build (make) so the bzImage matches the configuration' },
    );
  }
  return release;
}

/**
 * The tree's vmlinux when QEMU can boot it (x86-64 ELF with a PVH entry note), else one
 * extracted from the bzImage into the entry, else null (the bzImage is booted).
 */
async function bootableVmlinux(
  tree: string,
  bzImage: string,
  workDir: string,
  progress: Progress,
  notes: string[],
): Promise<string | null> {
  const own = path.join(tree, 'vmlinux');
  if (await isFile(own)) {
    const head = await readHead(own, 64);
    if (isElf(head) && parseElfHeader(head).machine === EM_X86_64 && (await hasPvhEntryNote(own))) return own;
    notes.push('the tree\'s vmlinux has no PVH entry note (CONFIG_PVH=n); booting the bzImage');
    return null;
  }
  const out = path.join(workDir, 'vmlinux');
  const extracted = await progress.step(`extract vmlinux from ${bzImage}`, () => extractVmlinux(bzImage, out));
  if (extracted && (await hasPvhEntryNote(out))) return out;
  await fs.rm(out, { force: true });
  notes.push('no bootable vmlinux could be extracted; booting the bzImage');
  return null;
}

/** Size and mtime of every module modules.order lists (.o entries since 6.2 name the .ko). */
async function builtModulesFingerprint(tree: string, modulesOrder: string): Promise<string> {
  const hash = crypto.createHash('sha256');
  const entries = (await fs.readFile(modulesOrder, 'utf8')).split('\n').filter((l) => l.trim() !== '');
  for (const entry of entries) {
    const ko = path.join(tree, entry.trim().replace(/^kernel\//, '').replace(/\.o$/, '.ko'));
    const stat = await fs.stat(ko).catch(() => null);
    hash.update(`${entry}\0${stat?.size ?? -1}\0${stat?.mtimeMs ?? -1}\n`);
  }
  return hash.digest('hex');
}

async function copyIfPresent(from: string, to: string): Promise<string | null> {
  if (!(await isFile(from))) return null;
  await fs.copyFile(from, to);
  return to;
}
