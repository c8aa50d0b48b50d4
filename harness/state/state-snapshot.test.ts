import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { diffSnapshots } from './state-diff.ts';
import { parseSnapshot } from './state-snapshot.ts';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

async function load(release: string) {
  const meta = JSON.parse(await fs.readFile(path.join(fixtures, release, 'meta.json'), 'utf8')) as { pfn: string };
  const pfn = BigInt(meta.pfn);
  const before = parseSnapshot(await fs.readFile(path.join(fixtures, release, 'before.txt'), 'utf8'), [pfn]);
  const after = parseSnapshot(await fs.readFile(path.join(fixtures, release, 'after.txt'), 'utf8'), [pfn]);
  return { pfn: meta.pfn, before, after, diff: diffSnapshots(before, after) };
}

describe('state oracle on a recorded debugfs hwpoison of a free page', () => {
  it('6.12: HardwareCorrupted +4 kB, page buddy → hwpoison, per-node stats total/recovered +1', async () => {
    const { pfn, before, diff } = await load('6.12.117+deb12-amd64');
    expect(before.meminfo.MemTotal).toBeGreaterThan(1_900_000);
    expect(Object.keys(before.memoryBlocks)).toHaveLength(16);
    expect(before.memoryBlocks.memory0?.state).toBe('online');
    expect(before.nodes.node0?.blocks).toContain('memory15');
    expect(before.blockSizeBytes).toEqual({ available: true, value: 128 * 1024 * 1024 });
    expect(diff.meminfo.HardwareCorrupted).toEqual({ before: 0, after: 4, delta: 4 });
    expect(diff.pages[pfn]).toEqual({ available: true, value: { before: ['buddy'], after: ['hwpoison'], set: ['hwpoison'], cleared: ['buddy'] } });
    expect(diff.memoryFailure.node0).toEqual({
      available: true,
      value: { total: { before: 0, after: 1, delta: 1 }, recovered: { before: 0, after: 1, delta: 1 } },
    });
    expect(diff.tainted).toEqual({ available: true, value: { before: 0, after: 0, addedBits: [], removedBits: [] } });
    expect(diff.memoryBlocks).toEqual({});
  });

  it('6.1: the same page change, and per-node stats reported as not available, never as zero', async () => {
    const { pfn, before, diff } = await load('6.1.0-56-amd64');
    expect(before.nodes.node0?.memoryFailure.available).toBe(false);
    expect(diff.memoryFailure.node0?.available).toBe(false);
    expect(diff.meminfo.HardwareCorrupted?.delta).toBe(4);
    expect(diff.pages[pfn]).toMatchObject({ available: true, value: { set: ['hwpoison'], cleared: ['buddy'] } });
  });

  it('reports a PFN beyond kpageflags as not available', () => {
    const snapshot = parseSnapshot('kpageflags:0xfffffffff:\n', [0xfffffffffn]);
    expect(snapshot.pages['0xfffffffff']).toEqual({ available: false, reason: 'PFN beyond the end of /proc/kpageflags' });
  });
});
