import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concatenateArchives, writeCpioArchive } from './cpio-archive.ts';
import { StagingDir } from './staging-dir.ts';

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'mh-cpio-test-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

/** Same logical tree, built in a different order, with different umask-ish modes and times. */
async function stage(root: string, reverse: boolean): Promise<StagingDir> {
  const staging = new StagingDir(root);
  const steps: (() => Promise<void>)[] = [
    () => staging.file('etc/passwd', 'root:x:0:0:root:/root:/bin/sh\n'),
    () => staging.file('bin/tool', '#!/bin/sh\n', 0o755),
    () => staging.symlink('bin/sh', 'tool'),
    () => staging.dir('root', 0o700),
    () => staging.file('root/.ssh/authorized_keys', 'ssh-ed25519 AAAA test\n', 0o600),
    () => staging.dir('tmp', 0o1777),
  ];
  for (const step of reverse ? [...steps].reverse() : steps) await step();
  if (reverse) {
    // Permissions and times the archiver must not let through.
    await fs.chmod(staging.resolve('etc/passwd'), 0o666);
    await fs.utimes(staging.resolve('bin/tool'), 1_700_000_000, 1_700_000_000);
  }
  return staging;
}

async function listArchive(file: string): Promise<string> {
  const gunzip = execa('gunzip', ['-c', file], { encoding: 'buffer' });
  const { stdout } = await gunzip.pipe('cpio', ['-t', '-v', '--quiet'], { env: { LC_ALL: 'C', TZ: 'UTC' } });
  return stdout;
}

describe('writeCpioArchive', () => {
  it('gives identical bytes for the same tree however it was made', async () => {
    const a = await stage(path.join(tmp, 'a'), false);
    const b = await stage(path.join(tmp, 'b'), true);
    const first = await writeCpioArchive(a.root, path.join(tmp, 'a.cpio.gz'), a.modes, 'gzip');
    const second = await writeCpioArchive(b.root, path.join(tmp, 'b.cpio.gz'), b.modes, 'gzip');
    expect(first.entries).toBe(9);
    const [bytesA, bytesB] = await Promise.all([fs.readFile(first.path), fs.readFile(second.path)]);
    expect(bytesA.equals(bytesB)).toBe(true);
  });

  it('is deterministic uncompressed too, and then is the same archive without gzip', async () => {
    const a = await stage(path.join(tmp, 'plain-a'), false);
    const b = await stage(path.join(tmp, 'plain-b'), true);
    const first = await writeCpioArchive(a.root, path.join(tmp, 'a.cpio'), a.modes, 'none');
    const second = await writeCpioArchive(b.root, path.join(tmp, 'b.cpio'), b.modes, 'none');
    const plain = await fs.readFile(first.path);
    expect(plain.equals(await fs.readFile(second.path))).toBe(true);
    expect(plain.length % 512).toBe(0); // keeps the next concatenated archive aligned
    expect(gunzipSync(await fs.readFile(path.join(tmp, 'a.cpio.gz'))).equals(plain)).toBe(true);
  });

  it('stores parents first, owner root, mtime 0, explicit and normalised modes', async () => {
    const listing = (await listArchive(path.join(tmp, 'a.cpio.gz'))).split('\n');
    const names = listing.map((line) => line.split(/\s+/).slice(8).join(' '));
    expect(names).toEqual([
      'bin',
      'bin/sh -> tool',
      'bin/tool',
      'etc',
      'etc/passwd',
      'root',
      'root/.ssh',
      'root/.ssh/authorized_keys',
      'tmp',
    ]);
    const line = (name: string): string => listing[names.indexOf(name)] ?? '';
    expect(line('root/.ssh/authorized_keys')).toMatch(/^-rw------- +1 root +root .* Jan  1  1970 /);
    expect(line('root')).toMatch(/^drwx------ /);
    expect(line('tmp')).toMatch(/^drwxrwxrwt /);
    expect(line('bin/tool')).toMatch(/^-rwxr-xr-x .* Jan  1  1970 /);
    expect(line('etc/passwd')).toMatch(/^-rw-r--r-- /);
  });

  it('concatenates archives byte for byte', async () => {
    const out = path.join(tmp, 'both.img');
    const bytes = await concatenateArchives([path.join(tmp, 'a.cpio.gz'), path.join(tmp, 'b.cpio.gz')], out);
    const single = (await fs.stat(path.join(tmp, 'a.cpio.gz'))).size;
    expect(bytes).toBe(2 * single);
    expect((await fs.readFile(out)).subarray(0, single).equals(await fs.readFile(path.join(tmp, 'a.cpio.gz')))).toBe(true);
  });
});
