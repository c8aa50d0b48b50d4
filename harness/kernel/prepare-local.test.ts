import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HarnessError } from '../util/errors.ts';
import type { Progress } from '../util/progress.ts';
import { makeElf } from './fixtures/make-elf.ts';
import { resolveKernel } from './resolve-kernel.ts';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const RELEASE = '6.12.117+deb12-amd64';
let dir: string;
let cacheDir: string;
let bzImage: string;

/** Records step labels, to tell a cache hit (no steps but hashing) from a preparation. */
function recorder(): Progress & { steps: string[] } {
  const steps: string[] = [];
  return { steps, info() {}, step: (label, work) => (steps.push(label), work()) };
}

/** A fake modules tree: the content is not ELF, which depmod tolerates. */
async function makeModules(root: string, release: string, options: { compress?: boolean; depmod?: boolean } = {}): Promise<string> {
  const releaseDir = path.join(root, 'lib', 'modules', release);
  await fs.mkdir(path.join(releaseDir, 'kernel', 'mm'), { recursive: true });
  const ko = path.join(releaseDir, 'kernel', 'mm', 'hwpoison-inject.ko');
  await fs.writeFile(ko, 'not really a module\n');
  await fs.writeFile(path.join(releaseDir, 'modules.order'), 'kernel/mm/hwpoison-inject.ko\n');
  if (options.compress) execFileSync('xz', [ko]);
  if (options.depmod) execFileSync('depmod', ['-b', root, release], { stdio: 'ignore' });
  return releaseDir;
}

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'memharness-local-'));
  cacheDir = path.join(dir, 'cache');
  bzImage = path.join(dir, 'bzImage');
  // Only the first 64 KiB: the header is real, the payload truncated, so extraction fails.
  await fs.copyFile(path.join(fixtures, 'vmlinuz-6.12.117+deb12-amd64.head64k'), bzImage);
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('a local bzImage', () => {
  it('boots the bzImage itself when no vmlinux can be extracted, and caches by content', async () => {
    const progress = recorder();
    const kernel = await resolveKernel(bzImage, { cacheDir, progress });
    expect(kernel.release).toBe(RELEASE);
    expect(kernel.id).toMatch(/^image-[0-9a-f]{16}$/);
    expect(kernel.bootImage).toBe(bzImage);
    expect(kernel.bzImage).toBe(bzImage);
    expect(kernel.vmlinux).toBeNull();
    expect(kernel.modulesRoot).toBeNull();
    expect(kernel.source).toEqual({ kind: 'image', path: bzImage, modulesDir: null });
    expect(progress.steps.some((s) => s.startsWith('extract vmlinux'))).toBe(true);

    const again = recorder();
    expect(await resolveKernel(bzImage, { cacheDir, progress: again })).toEqual(kernel);
    expect(again.steps.some((s) => s.startsWith('extract vmlinux'))).toBe(false);
  });

  it('uses plain, depmod-ed modules in place (INSTALL_MOD_PATH layout)', async () => {
    const root = path.join(dir, 'mods-plain');
    await makeModules(root, RELEASE, { depmod: true });
    const kernel = await resolveKernel(bzImage, { cacheDir, progress: recorder(), modulesDir: root });
    expect(kernel.modulesRoot).toBe(root);
    expect(kernel.id).toMatch(/^image-[0-9a-f]{16}-modules-[0-9a-f]{12}$/);
    // lib/modules/<release> itself works too and means the same root.
    const same = await resolveKernel(bzImage, { cacheDir, progress: recorder(), modulesDir: path.join(root, 'lib', 'modules', RELEASE) });
    expect(same.modulesRoot).toBe(root);
  });

  it('copies, decompresses and depmods compressed modules into the cache', async () => {
    const root = path.join(dir, 'mods-xz');
    await makeModules(root, RELEASE, { compress: true });
    const kernel = await resolveKernel(bzImage, { cacheDir, progress: recorder(), modulesDir: root });
    expect(kernel.modulesRoot).not.toBe(root);
    expect(kernel.modulesRoot?.startsWith(cacheDir)).toBe(true);
    const releaseDir = path.join(kernel.modulesRoot ?? '', 'lib', 'modules', RELEASE);
    await expect(fs.readFile(path.join(releaseDir, 'kernel/mm/hwpoison-inject.ko'), 'utf8')).resolves.toBe('not really a module\n');
    await expect(fs.readFile(path.join(releaseDir, 'modules.dep'), 'utf8')).resolves.toContain('kernel/mm/hwpoison-inject.ko:');
    // The user's tree is left alone.
    await expect(fs.access(path.join(root, 'lib/modules', RELEASE, 'kernel/mm/hwpoison-inject.ko.xz'))).resolves.toBeUndefined();
  });

  it('copies a bare <release> directory that is not in a lib/modules layout', async () => {
    const bare = path.join(dir, 'elsewhere', RELEASE);
    const made = await makeModules(path.join(dir, 'staging'), RELEASE, { depmod: true });
    await fs.mkdir(path.dirname(bare), { recursive: true });
    await fs.cp(made, bare, { recursive: true });
    const kernel = await resolveKernel(bzImage, { cacheDir, progress: recorder(), modulesDir: bare });
    expect(kernel.modulesRoot?.startsWith(cacheDir)).toBe(true);
  });

  it('refuses modules of another release, naming both', async () => {
    const root = path.join(dir, 'mods-other');
    await makeModules(root, '6.1.0-56-amd64');
    const error = await resolveKernel(bzImage, { cacheDir, progress: recorder(), modulesDir: root }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HarnessError);
    expect((error as HarnessError).message).toMatch(/has modules for 6\.1\.0-56-amd64, but the kernel's release is 6\.12\.117\+deb12-amd64/);
  });

  it('refuses a modules directory that does not exist', async () => {
    const error = await resolveKernel(bzImage, { cacheDir, progress: recorder(), modulesDir: path.join(dir, 'nope') }).catch((e: unknown) => e);
    expect((error as HarnessError).kind).toBe('usage');
    expect((error as HarnessError).message).toMatch(/does not exist/);
  });
});

describe('a local ELF vmlinux', () => {
  it('is booted directly, with the config found beside it in a /boot layout', async () => {
    const vmlinux = path.join(dir, 'vmlinux');
    await fs.writeFile(vmlinux, makeElf({ pvh: true, banner: 'Linux version 6.14.0-test (a@b) (gcc) #1 SMP' }));
    await fs.writeFile(path.join(dir, 'config-6.14.0-test'), 'CONFIG_PVH=y\n');
    const kernel = await resolveKernel(vmlinux, { cacheDir, progress: recorder() });
    expect(kernel).toMatchObject({ release: '6.14.0-test', bootImage: vmlinux, vmlinux, bzImage: null });
    expect(kernel.configPath).toBe(path.join(dir, 'config-6.14.0-test'));
    expect(kernel.systemMap).toBeNull();
  });
});
