import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HarnessError } from '../util/errors.ts';
import { silentProgress } from '../util/progress.ts';
import { makeElf } from './fixtures/make-elf.ts';
import { identifyKernelFile } from './kernel-file.ts';
import { resolveKernel } from './resolve-kernel.ts';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'memharness-kernel-file-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function write(name: string, content: Buffer | string): Promise<string> {
  const file = path.join(dir, name);
  await fs.writeFile(file, content);
  return file;
}

async function kernelError(file: string): Promise<HarnessError> {
  const error = await identifyKernelFile(file).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HarnessError);
  expect((error as HarnessError).kind).toBe('kernel');
  expect((error as HarnessError).message).toContain(file);
  return error as HarnessError;
}

describe('identifyKernelFile', () => {
  it('reads the release of a bzImage from its setup header', async () => {
    const kernel = await identifyKernelFile(path.join(fixtures, 'vmlinuz-6.12.117+deb12-amd64.head64k'));
    expect(kernel).toMatchObject({ kind: 'bzImage', release: '6.12.117+deb12-amd64' });
  });

  it('reads the release of an ELF vmlinux from its banner, even past the first read chunk', async () => {
    const banner = 'Linux version 6.13.0-rc1-test+ (me@host) (gcc 12) #7 SMP PREEMPT_DYNAMIC';
    const near = await write('vmlinux-near', makeElf({ pvh: true, banner }));
    expect(await identifyKernelFile(near)).toMatchObject({ kind: 'vmlinux', release: '6.13.0-rc1-test+', pvh: true });
    // 8 MiB chunks: put the banner across the boundary.
    const far = await write('vmlinux-far', makeElf({ pvh: true, banner, padding: (8 << 20) - 150 }));
    expect(await identifyKernelFile(far)).toMatchObject({ kind: 'vmlinux', release: '6.13.0-rc1-test+' });
  });

  it('refuses a vmlinux without a PVH entry note, pointing at the bzImage', async () => {
    const file = await write('vmlinux-nopvh', makeElf({ pvh: false, banner: 'Linux version 6.1.0 (a@b) #1' }));
    const error = await kernelError(file);
    expect(error.message).toMatch(/without a PVH entry note/);
    expect(error.details.hint).toMatch(/bzImage/);
  });

  it.each([
    ['empty', '', /found an empty file/],
    ['text', 'hello kernel\nsecond line\n', /found a text file \("hello kernel"\)/],
    ['gzip', Buffer.from('1f8b0800000000000003', 'hex'), /found gzip-compressed data/],
    ['cpio', '070701000000000000', /found a cpio archive/],
    ['deb', '!<arch>\ndebian-binary', /found a Debian package/],
    ['random', Buffer.from([0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3, 200, 201]), /unrecognised data \(first bytes: de ad be ef 00 01 02 03\)/],
  ])('names what a %s file is', async (name, content, pattern) => {
    const file = await write(`not-a-kernel-${name}`, content);
    const error = await kernelError(file);
    expect(error.message).toMatch(/is not a bootable x86-64 kernel/);
    expect(error.message).toMatch(pattern);
  });

  it('recognises an arm64 Image', async () => {
    const image = Buffer.alloc(128);
    image.write('ARM\x64', 0x38, 'latin1');
    const error = await kernelError(await write('Image', image));
    expect(error.message).toMatch(/found an arm64 kernel Image/);
  });

  it('refuses ELF files that are not x86-64 vmlinux executables', async () => {
    expect((await kernelError(await write('arm-vmlinux', makeElf({ machine: 183 })))).message).toMatch(/ELF file for aarch64/);
    expect((await kernelError(await write('pie', makeElf({ type: 3 })))).message).toMatch(/shared object or PIE program/);
    expect((await kernelError(await write('no-banner', makeElf({ pvh: true })))).message).toMatch(/without a "Linux version" banner/);
    expect((await kernelError('/bin/sh')).message).toMatch(/ELF/);
  });
});

describe('resolveKernel with paths that are not kernels', () => {
  const options = (): { cacheDir: string; progress: typeof silentProgress } => ({ cacheDir: path.join(dir, 'cache'), progress: silentProgress });

  it('a missing path is a usage error that lists the accepted forms', async () => {
    const error = await resolveKernel(path.join(dir, 'nope'), options()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HarnessError);
    expect((error as HarnessError).kind).toBe('usage');
    expect((error as HarnessError).message).toMatch(/neither a Debian kernel reference nor an existing file/);
  });

  it('a directory that is not a build tree is a kernel error', async () => {
    const error = await resolveKernel(dir, options()).catch((e: unknown) => e);
    expect((error as HarnessError).kind).toBe('kernel');
    expect((error as HarnessError).message).toMatch(/not a built x86 kernel tree/);
  });

  it('a text file is a kernel error naming the path', async () => {
    const file = await write('notes.txt', 'just text\n');
    const error = await resolveKernel(file, options()).catch((e: unknown) => e);
    expect((error as HarnessError).kind).toBe('kernel');
    expect((error as HarnessError).message).toBe(`${file} is not a bootable x86-64 kernel: found a text file ("just text")`);
  });

  it('a modules directory with a Debian ref is a usage error', async () => {
    const error = await resolveKernel('6.1.0-56', { ...options(), modulesDir: dir }).catch((e: unknown) => e);
    expect((error as HarnessError).kind).toBe('usage');
  });
});
