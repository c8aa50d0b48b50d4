import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HarnessError } from '../util/errors.ts';
import { silentProgress } from '../util/progress.ts';
import { makeElf } from './fixtures/make-elf.ts';
import { resolveKernel } from './resolve-kernel.ts';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const RELEASE = '6.1.0-56-amd64';

/**
 * A stand-in for a built tree: the real 6.1.0-56 bzImage header, a vmlinux with a PVH note,
 * and a Makefile whose modules_install does what kbuild's does (compressed module, the
 * build symlink back into the tree) and counts its runs.
 */
const MAKEFILE = `modules_install:
\techo run >> $(CURDIR)/make-runs
\tmkdir -p $(INSTALL_MOD_PATH)/lib/modules/${RELEASE}/kernel/mm
\tprintf 'fake module\\n' > $(INSTALL_MOD_PATH)/lib/modules/${RELEASE}/kernel/mm/hwpoison-inject.ko
\txz -f $(INSTALL_MOD_PATH)/lib/modules/${RELEASE}/kernel/mm/hwpoison-inject.ko
\tprintf 'kernel/mm/hwpoison-inject.ko\\n' > $(INSTALL_MOD_PATH)/lib/modules/${RELEASE}/modules.order
\tln -sfn $(CURDIR) $(INSTALL_MOD_PATH)/lib/modules/${RELEASE}/build
\ttest "$(INSTALL_MOD_STRIP)" = 1
`;

let dir: string;
let tree: string;
let cacheDir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'memharness-tree-'));
  tree = path.join(dir, 'linux');
  cacheDir = path.join(dir, 'cache');
  await fs.mkdir(path.join(tree, 'arch/x86/boot'), { recursive: true });
  await fs.mkdir(path.join(tree, 'include/config'), { recursive: true });
  await fs.mkdir(path.join(tree, 'mm'), { recursive: true });
  await fs.writeFile(path.join(tree, 'Makefile'), MAKEFILE);
  await fs.copyFile(path.join(fixtures, 'vmlinuz-6.1.0-56-amd64.head64k'), path.join(tree, 'arch/x86/boot/bzImage'));
  await fs.writeFile(path.join(tree, 'include/config/kernel.release'), `${RELEASE}\n`);
  await fs.writeFile(path.join(tree, 'vmlinux'), makeElf({ pvh: true, banner: `Linux version ${RELEASE} (a@b) #1` }));
  await fs.writeFile(path.join(tree, '.config'), 'CONFIG_MEMORY_FAILURE=y\n');
  await fs.writeFile(path.join(tree, 'System.map'), 'ffffffff81000000 T _text\n');
  await fs.writeFile(path.join(tree, 'modules.order'), 'mm/hwpoison-inject.o\n');
  await fs.writeFile(path.join(tree, 'mm/hwpoison-inject.ko'), 'built module\n');
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('a kernel build tree', () => {
  it('installs, decompresses and indexes its modules, and boots its own vmlinux', async () => {
    const kernel = await resolveKernel(tree, { cacheDir, progress: silentProgress });
    expect(kernel.id).toMatch(/^tree-[0-9a-f]{16}$/);
    expect(kernel.release).toBe(RELEASE);
    expect(kernel.source).toEqual({ kind: 'build-tree', path: tree });
    expect(kernel.bootImage).toBe(path.join(tree, 'vmlinux'));
    expect(kernel.bzImage).toBe(path.join(tree, 'arch/x86/boot/bzImage'));
    await expect(fs.readFile(kernel.configPath ?? '', 'utf8')).resolves.toBe('CONFIG_MEMORY_FAILURE=y\n');
    expect(kernel.configPath?.startsWith(cacheDir)).toBe(true);
    expect(kernel.systemMap?.startsWith(cacheDir)).toBe(true);

    const releaseDir = path.join(kernel.modulesRoot ?? '', 'lib/modules', RELEASE);
    await expect(fs.readFile(path.join(releaseDir, 'kernel/mm/hwpoison-inject.ko'), 'utf8')).resolves.toBe('fake module\n');
    await expect(fs.readFile(path.join(releaseDir, 'modules.dep'), 'utf8')).resolves.toContain('kernel/mm/hwpoison-inject.ko:');
    // The symlink back into the tree would drag the whole tree into the initramfs.
    await expect(fs.lstat(path.join(releaseDir, 'build'))).rejects.toThrow();
  });

  it('reuses the entry until a module or the bzImage changes', async () => {
    const first = await resolveKernel(tree, { cacheDir, progress: silentProgress });
    expect(await resolveKernel(tree, { cacheDir, progress: silentProgress })).toEqual(first);
    expect((await fs.readFile(path.join(tree, 'make-runs'), 'utf8')).trim().split('\n')).toHaveLength(1);

    const ko = path.join(tree, 'mm/hwpoison-inject.ko');
    await fs.writeFile(ko, 'rebuilt module, longer\n');
    const rebuilt = await resolveKernel(tree, { cacheDir, progress: silentProgress });
    expect(rebuilt.id).not.toBe(first.id);
    expect((await fs.readFile(path.join(tree, 'make-runs'), 'utf8')).trim().split('\n')).toHaveLength(2);
  });

  it('refuses a half-built tree whose bzImage does not match kernel.release', async () => {
    const half = path.join(dir, 'half');
    await fs.cp(tree, half, { recursive: true });
    await fs.writeFile(path.join(half, 'include/config/kernel.release'), '6.1.0-57-amd64\n');
    const error = await resolveKernel(half, { cacheDir, progress: silentProgress }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HarnessError);
    expect((error as HarnessError).message).toMatch(/half-built: its bzImage is 6\.1\.0-56-amd64 but include\/config\/kernel\.release says 6\.1\.0-57-amd64/);
  });

  it('refuses a modules directory alongside a tree', async () => {
    const error = await resolveKernel(tree, { cacheDir, progress: silentProgress, modulesDir: dir }).catch((e: unknown) => e);
    expect((error as HarnessError).kind).toBe('usage');
  });
});
