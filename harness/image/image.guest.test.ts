import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveKernel, type PreparedKernel } from '../kernel/index.ts';
import { cacheDir } from '../util/paths.ts';
import { silentProgress } from '../util/progress.ts';
import { buildGuestImage } from './build-guest-image.ts';
import type { GuestImage } from './guest-image.ts';

// Builds complete guest images for real Debian kernels (prepared into the user's cache if
// needed) into a scratch image cache, and checks what ends up in each archive part.
const KERNELS = (process.env.MEMHARNESS_TEST_KERNELS ?? '6.12.117,6.1.0-56').split(',').filter((ref) => ref !== '');

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'mh-image-guest-test-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

/** The plain cpio bytes of a part, whether it is stored gzip'd or not. */
async function cpioBytes(file: string): Promise<Buffer> {
  const data = await fs.readFile(file);
  return data[0] === 0x1f && data[1] === 0x8b ? gunzipSync(data) : data;
}

async function cpio(file: string, args: string[]): Promise<string> {
  const { stdout } = await execa('cpio', [...args, '--quiet'], { input: await cpioBytes(file), env: { LC_ALL: 'C' } });
  return stdout;
}

async function listPart(file: string): Promise<string[]> {
  return (await cpio(file, ['-t'])).split('\n');
}

async function readFromPart(file: string, member: string): Promise<string> {
  return cpio(file, ['-i', '--to-stdout', member]);
}

async function sshKeys(dir: string): Promise<{ authorizedKey: string; dropbearHostKey: Buffer }> {
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'id')]);
  await execa('dropbearkey', ['-t', 'ed25519', '-f', path.join(dir, 'host')]);
  return {
    authorizedKey: await fs.readFile(path.join(dir, 'id.pub'), 'utf8'),
    dropbearHostKey: await fs.readFile(path.join(dir, 'host')),
  };
}

describe.each(KERNELS)('guest image for kernel %s', (ref) => {
  let kernel: PreparedKernel;
  let image: GuestImage;
  let runDir: string;

  beforeAll(async () => {
    kernel = await resolveKernel(ref, { cacheDir: cacheDir(), progress: silentProgress });
    runDir = path.join(tmp, `run-${kernel.id}`);
    await fs.mkdir(runDir, { recursive: true });
    image = await buildGuestImage({
      kernel,
      modules: ['brd', 'nd-pmem'],
      keys: await sshKeys(runDir),
      runDir,
      cacheDir: path.join(tmp, 'cache'),
      progress: silentProgress,
    });
  });

  const part = (name: string): string => {
    const found = image.parts.find((p) => p.name === name);
    if (!found) throw new Error(`image has no ${name} part`);
    return found.path;
  };

  it('is the concatenation of its parts, base first and run last', async () => {
    expect(image.parts.map((p) => p.name)).toEqual(['base', 'tools', 'helper', 'modules', 'run']);
    const pieces = await Promise.all(image.parts.map((p) => fs.readFile(p.path)));
    expect((await fs.readFile(image.initrdPath)).equals(Buffer.concat(pieces))).toBe(true);
  });

  it('has /init and busybox with its applets', async () => {
    const base = await listPart(part('base'));
    for (const name of ['init', 'bin/busybox', 'bin/sh', 'bin/modprobe', 'bin/init', 'sbin/modprobe', 'etc/passwd', 'etc/inittab', 'etc/memharness/init.conf']) {
      expect(base).toContain(name);
    }
  });

  it('has dropbear and the memory tools with their libraries and the loader', async () => {
    const tools = await listPart(part('tools'));
    for (const name of ['usr/sbin/dropbear', 'usr/bin/dropbearkey', 'usr/bin/lsmem', 'usr/sbin/chmem', 'usr/bin/ndctl', 'usr/bin/daxctl', 'lib64/ld-linux-x86-64.so.2']) {
      expect(tools).toContain(name);
    }
    expect(tools.some((name) => /\/libc\.so\.6$/.test(name))).toBe(true);
  });

  it('has the helper', async () => {
    expect(await listPart(part('helper'))).toContain('usr/bin/memharness-helper');
  });

  it('has the requested modules, their dependencies and a matching modules.dep', async () => {
    const modules = await listPart(part('modules'));
    const dir = `lib/modules/${kernel.release}`;
    for (const file of ['kernel/drivers/block/brd.ko', 'kernel/drivers/nvdimm/nd_pmem.ko', 'kernel/drivers/nvdimm/libnvdimm.ko', 'kernel/mm/hwpoison-inject.ko', 'kernel/drivers/net/virtio_net.ko']) {
      expect(modules).toContain(`${dir}/${file}`);
    }
    const dep = await readFromPart(part('modules'), `${dir}/modules.dep`);
    const listed = dep.split('\n').filter((line) => line !== '').map((line) => `${dir}/${line.slice(0, line.indexOf(':'))}`);
    expect(listed.sort()).toEqual(modules.filter((name) => name.endsWith('.ko')).sort());
    expect(image.modules.loadable).toEqual(expect.arrayContaining(['brd', 'nd_pmem', 'nd_btt', 'libnvdimm', 'hwpoison_inject', 'virtio_net']));
  });

  it('has the per-run keys with the modes dropbear insists on', async () => {
    const stdout = await cpio(part('run'), ['-t', '-v']);
    expect(stdout).toMatch(/^-rw------- .* root\/\.ssh\/authorized_keys$/m);
    expect(stdout).toMatch(/^-rw------- .* etc\/dropbear\/dropbear_ed25519_host_key$/m);
    expect(stdout).toMatch(/^drwx------ .* root\/\.ssh$/m);
  });
});
