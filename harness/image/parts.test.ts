import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentProgress } from '../util/progress.ts';
import { buildBasePart } from './base-part.ts';
import { PART_COMPRESSION, archiveSuffix } from './cpio-archive.ts';
import type { InitramfsPart } from './guest-image.ts';
import { buildHelperPart } from './helper-part.ts';
import { buildRunPart } from './run-part.ts';
import { buildToolsPart } from './tools-part.ts';

// Builds each cached part twice, in two separate caches, and compares the bytes: archives
// must depend only on their inputs (no times, owners, umask or inode numbers leaking in).
let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'mh-parts-test-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

async function twice(build: (cacheDir: string) => Promise<InitramfsPart>): Promise<[Buffer, Buffer, InitramfsPart]> {
  const first = await build(path.join(tmp, `one-${Math.random()}`));
  const second = await build(path.join(tmp, `two-${Math.random()}`));
  expect(path.basename(path.dirname(first.path))).toBe(path.basename(path.dirname(second.path)));
  return [await fs.readFile(first.path), await fs.readFile(second.path), first];
}

describe('initramfs parts are deterministic', () => {
  it('base', async () => {
    const [a, b, part] = await twice((cacheDir) => buildBasePart({ cacheDir, progress: silentProgress }));
    expect(a.equals(b)).toBe(true);
    expect(part.path).toMatch(new RegExp(`images/base-[0-9a-f]{20}/base${archiveSuffix(PART_COMPRESSION).replaceAll('.', '\\.')}$`));
  });

  it('tools', async () => {
    const [a, b] = await twice((cacheDir) => buildToolsPart({ cacheDir, progress: silentProgress }));
    expect(a.equals(b)).toBe(true);
  }, 60_000);

  it('helper', async () => {
    const [a, b] = await twice((cacheDir) => buildHelperPart({ cacheDir, progress: silentProgress }));
    expect(a.equals(b)).toBe(true);
  }, 60_000);

  it('run (for the same keys)', async () => {
    const keys = { authorizedKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDummyKeyForTestOnly test', dropbearHostKey: Buffer.from('not a real key') };
    await fs.mkdir(path.join(tmp, 'run-a'));
    const a = await buildRunPart({ runDir: path.join(tmp, 'run-a'), keys });
    await fs.mkdir(path.join(tmp, 'run-b'));
    const b = await buildRunPart({ runDir: path.join(tmp, 'run-b'), keys });
    expect((await fs.readFile(a.path)).equals(await fs.readFile(b.path))).toBe(true);
  });

  it('reuses a complete cache entry instead of rebuilding', async () => {
    const cacheDir = path.join(tmp, 'reuse');
    const first = await buildBasePart({ cacheDir, progress: silentProgress });
    const before = (await fs.stat(first.path)).mtimeMs;
    const second = await buildBasePart({ cacheDir, progress: silentProgress });
    expect(second.path).toBe(first.path);
    expect((await fs.stat(second.path)).mtimeMs).toBe(before);
  });
});
