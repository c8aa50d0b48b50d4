import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cgroupChain, cgroupFileSpec, parseCgroupFile, parseCgroupLine, resolveCgroupPath } from './cgroup-files.ts';

const hostFixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'cgroup-files-host-6.18');
const host = (name: string): string => fs.readFileSync(path.join(hostFixtures, name), 'utf8');

describe('cgroup files as a real kernel prints them (fixtures/cgroup-files-host-6.18)', () => {
  it('flat keyed: cgroup.stat and cpu.stat, one KEY VAL a line', () => {
    const stat = parseCgroupFile(host('v2-cgroup.stat'));
    expect(stat).toMatchObject({ nr_descendants: '0', nr_dying_descendants: '0' });
    expect(Object.values(stat).every((value) => /^\d+$/.test(value))).toBe(true);
    const cpu = parseCgroupFile(host('v2-cpu.stat'));
    expect(Object.keys(cpu)).toEqual(expect.arrayContaining(['usage_usec', 'user_usec', 'system_usec']));
    expect(Number(cpu['usage_usec'])).toBeGreaterThan(0);
  });

  it('nested keyed: the pressure files, KEY SUB=VAL ... with decimals, no per-node sum', () => {
    const pressure = parseCgroupFile(host('v2-memory.pressure'));
    expect(pressure).toEqual({
      'some.avg10': '0.00', 'some.avg60': '0.00', 'some.avg300': '0.00', 'some.total': '0',
      'full.avg10': '0.00', 'full.avg60': '0.00', 'full.avg300': '0.00', 'full.total': '0',
    });
    const cpu = parseCgroupFile(host('v2-cpu.pressure'));
    expect(cpu['some.total']).toMatch(/^\d+$/);
    expect(cpu['some']).toBeUndefined();
  });

  it('a single value: cgroup.max.depth reads max', () => {
    expect(parseCgroupFile(host('v2-cgroup.max.depth'))).toEqual({ '': 'max' });
  });

  it('KEY=VAL N0=VAL lines (the layout of hugetlb.SIZE.numa_stat): each line its key and its nodes', () => {
    const numa = parseCgroupFile(host('v1-memory.numa_stat'));
    for (const key of ['total', 'file', 'anon', 'unevictable', 'hierarchical_total', 'hierarchical_anon']) {
      expect(numa[key]).toMatch(/^\d+$/);
      expect(numa[`${key}.N0`]).toBe(numa[key]); // a one-node machine: the node is the whole
    }
  });

  it('v1 memory.stat, flat keyed, every value a number', () => {
    const stat = parseCgroupFile(host('v1-memory.stat'));
    expect(Object.keys(stat).length).toBeGreaterThan(30);
    expect(stat).toHaveProperty('rss');
    expect(Object.values(stat).every((value) => /^\d+$/.test(value))).toBe(true);
  });
});

// The formats of files the harness's guests have and this machine has not (a cgroup v2 group
// with the memory and hugetlb controllers), as Documentation/admin-guide/cgroup-v2.rst
// ("Interface Files: Format", memory.stat, memory.events, memory.numa_stat) and
// mm/hugetlb_cgroup.c (hugetlb_events_show, hugetlb_cgroup_read_numa_stat) define them.
describe('cgroup v2 group files, in their documented formats', () => {
  it('memory.stat: bytes by type and event counts', () => {
    const stat = parseCgroupFile('anon 4096\nfile 0\nkernel 86016\nkernel_stack 16384\nshmem 0\nfile_dirty 0\nanon_thp 0\npgfault 35\npgmajfault 0\n');
    expect(stat['anon']).toBe('4096');
    expect(stat['pgfault']).toBe('35');
    expect(stat['']).toBeUndefined();
  });

  it('memory.events: low high max oom oom_kill oom_group_kill', () => {
    expect(parseCgroupFile('low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\noom_group_kill 0\n')).toEqual({ low: '0', high: '0', max: '3', oom: '1', oom_kill: '1', oom_group_kill: '0' });
  });

  it('memory.numa_stat: KEY N0=bytes N1=bytes, the key also the sum over nodes', () => {
    const numa = parseCgroupFile('anon N0=4096 N1=8192\nfile N0=0 N1=0\n');
    expect(numa).toEqual({ 'anon.N0': '4096', 'anon.N1': '8192', anon: '12288', 'file.N0': '0', 'file.N1': '0', file: '0' });
  });

  it('hugetlb.2MB.numa_stat on cgroup v2: one line, total= and the nodes', () => {
    expect(parseCgroupLine('total=2097152 N0=2097152 N1=0')).toEqual({ total: '2097152', 'total.N0': '2097152', 'total.N1': '0' });
    expect(parseCgroupFile('total=0 N0=0\n')).toEqual({ total: '0', 'total.N0': '0' });
  });

  it('hugetlb.2MB.events, current and max', () => {
    expect(parseCgroupFile('max 0\n')).toEqual({ max: '0' });
    expect(parseCgroupFile('2097152\n')).toEqual({ '': '2097152' });
    expect(parseCgroupFile('max\n')).toEqual({ '': 'max' });
  });

  it('keeps a line of another shape whole under its first word', () => {
    expect(parseCgroupLine('numa_locality 0 0 0')).toEqual({ numa_locality: '0 0 0' });
    expect(parseCgroupLine('   ')).toEqual({});
  });
});

describe('cgroup state paths', () => {
  it('split a file and its key at the longest known file name', () => {
    expect(resolveCgroupPath(['memory', 'events', 'local', 'oom'])).toMatchObject({ file: 'memory.events.local', key: 'oom' });
    expect(resolveCgroupPath(['memory', 'events', 'oom'])).toMatchObject({ file: 'memory.events', key: 'oom' });
    expect(resolveCgroupPath(['memory', 'current'])).toMatchObject({ file: 'memory.current', key: '', spec: { format: 'single', controller: 'memory' } });
    expect(resolveCgroupPath(['hugetlb', '2MB', 'numa_stat', 'total', 'N0'])).toMatchObject({ file: 'hugetlb.2MB.numa_stat', key: 'total.N0', spec: { controller: 'hugetlb' } });
    expect(resolveCgroupPath(['hugetlb', '1GB', 'rsvd', 'current'])).toMatchObject({ file: 'hugetlb.1GB.rsvd.current', key: '' });
    expect(resolveCgroupPath(['cgroup', 'events', 'populated'])).toMatchObject({ file: 'cgroup.events', spec: { controller: null } });
  });

  it('say what shape a file takes', () => {
    expect(resolveCgroupPath(['memory', 'stat'])).toMatch(/flat-keyed: name one key, e\.g\. memory\.stat\.anon/);
    expect(resolveCgroupPath(['memory', 'current', 'x'])).toMatch(/single value/);
    expect(resolveCgroupPath(['memory', 'stat', 'anon', 'N0'])).toMatch(/flat-keyed/);
    expect(resolveCgroupPath(['hugetlb', '2M', 'current'])).toMatch(/no cgroup file 'hugetlb\.2M\.current'/);
  });

  it('hugetlb sizes as the kernel names them', () => {
    expect(cgroupFileSpec('hugetlb.2MB.current')?.name).toBe('hugetlb.SIZE.current');
    expect(cgroupFileSpec('hugetlb.64KB.max')?.name).toBe('hugetlb.SIZE.max');
    expect(cgroupFileSpec('hugetlb.2048kB.max')).toBeUndefined();
  });

  it('nested group names: the ancestors, outermost first', () => {
    expect(cgroupChain('cg0')).toEqual(['cg0']);
    expect(cgroupChain('outer/mid/inner')).toEqual(['outer', 'outer/mid', 'outer/mid/inner']);
  });
});
