import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FILE_READ_LIMIT, snapshotCommand } from './snapshot-command.ts';
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

describe('files and cgroups a case names', () => {
  it('reads each file whole, in its lines, and tells missing, unreadable and cut files apart (the command run by the host sh)', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mh-snapshot-'));
    try {
      await fs.writeFile(path.join(dir, 'multi'), 'always [madvise] never\n\n  indented \\ back\\slash\n');
      await fs.writeFile(path.join(dir, 'empty'), '');
      await fs.writeFile(path.join(dir, 'big'), 'x'.repeat(FILE_READ_LIMIT + 100));
      const files = ['multi', 'empty', 'big', 'missing', '.'].map((name) => path.join(dir, name));
      // Only reads: the fixed part greps /proc and /sys, the file part reads the files above.
      const output = execFileSync('sh', ['-c', snapshotCommand([], { files })], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
      const snapshot = parseSnapshot(output, [], { files });
      expect(snapshot.files[files[0]!]).toEqual({ available: true, value: { text: 'always [madvise] never\n\n  indented \\ back\\slash', truncated: false } });
      expect(snapshot.files[files[1]!]).toEqual({ available: true, value: { text: '', truncated: false } });
      expect(snapshot.files[files[2]!]).toEqual({ available: true, value: { text: 'x'.repeat(FILE_READ_LIMIT), truncated: true } });
      expect(snapshot.files[files[3]!]).toEqual({ available: false, reason: `${files[3]} does not exist` });
      expect(snapshot.files[files[4]!]).toMatchObject({ available: false, reason: expect.stringMatching(/exists but could not be read/) });
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('keeps the lines of the groups asked for, each file parsed by its format, and only those groups', () => {
    const output = [
      'cgroupdir:cg0',
      '/sys/fs/cgroup/cg0/memory.current:8192',
      '/sys/fs/cgroup/cg0/memory.stat:anon 4096',
      '/sys/fs/cgroup/cg0/memory.stat:file 0',
      '/sys/fs/cgroup/cg0/memory.numa_stat:anon N0=4096',
      '/sys/fs/cgroup/cg0/hugetlb.2MB.numa_stat:total=0 N0=0',
      'cgroupdir:outer/inner',
      '/sys/fs/cgroup/outer/inner/memory.events:oom 1',
      '/sys/fs/cgroup/other/memory.current:1',
    ].join('\n');
    const snapshot = parseSnapshot(output, [], { cgroups: [{ name: 'cg0', controllers: ['memory', 'hugetlb'] }, { name: 'outer/inner', controllers: ['memory'] }, { name: 'absent', controllers: [] }] });
    expect(snapshot.cgroups).toEqual({
      cg0: { files: { 'memory.current': { '': '8192' }, 'memory.stat': { anon: '4096', file: '0' }, 'memory.numa_stat': { 'anon.N0': '4096', anon: '4096' }, 'hugetlb.2MB.numa_stat': { total: '0', 'total.N0': '0' } } },
      'outer/inner': { files: { 'memory.events': { oom: '1' } } },
    });
    // Nothing of it reaches the generic path:value table.
    expect(snapshot.meminfo).toEqual({});
  });

  it('the command asks only for the named groups and files', () => {
    expect(snapshotCommand([])).not.toMatch(/cgroup|mhf/);
    const command = snapshotCommand([], { cgroups: [{ name: 'cg0', controllers: ['hugetlb'] }], files: ["/proc/sys/vm/x'y"] });
    expect(command).toContain("[ -d '/sys/fs/cgroup/cg0' ] && echo 'cgroupdir:cg0'");
    expect(command).toContain("grep -H . '/sys/fs/cgroup/cg0'/hugetlb.* '/sys/fs/cgroup/cg0'/cgroup.events");
    expect(command).not.toContain('/memory.*');
    expect(command).toContain(`mhf 0 '/proc/sys/vm/x'\\''y'`);
  });
});
