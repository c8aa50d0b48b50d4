import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CGROUP_ROOT } from '../../state/cgroup-files.ts';
import { cgroupCleanupScript, cgroupStepScript, cgroupWrites, parseCgroupOutput, type CgroupPlan } from './cgroup-step.ts';

/**
 * The host's sh. Not busybox's: its ash runs its own applets (mount among them) before PATH,
 * and the scripts below must never reach the host's real mount or cgroup tree.
 */
const SHELL = ['sh'];

const plan = (over: Partial<CgroupPlan> = {}): CgroupPlan => ({ name: 'cg0', fresh: true, controllers: ['memory', 'hugetlb'], set: [{ file: 'memory.max', value: '64M' }], procs: [{ pid: process.pid, label: 'the helper' }], ...over });

const allWrites = (p: CgroupPlan) => {
  const { levels, set, procs } = cgroupWrites(p);
  return [...levels.flatMap((level) => level.enable), ...set, ...procs];
};

describe('the cgroup step script', () => {
  it('parses as shell, and so does the clean-up', () => {
    for (const script of [cgroupStepScript(plan()), cgroupStepScript(plan({ name: 'outer/inner', fresh: false })), cgroupCleanupScript(['cg0', 'outer/inner'])!]) {
      const checked = spawnSync(SHELL[0]!, [...SHELL.slice(1), '-n', '-c', script], { encoding: 'utf8' });
      expect(checked.stderr).toBe('');
      expect(checked.status).toBe(0);
    }
  });

  it('enables the controllers top-down, the root first, then sets the files, then moves the processes', () => {
    const writes = allWrites(plan({ name: 'outer/inner', procs: [{ pid: 42, label: 'the helper' }] }));
    expect(writes.map((write) => `${write.file} ${write.value}`)).toEqual([
      `${CGROUP_ROOT}/cgroup.subtree_control +memory`,
      `${CGROUP_ROOT}/cgroup.subtree_control +hugetlb`,
      `${CGROUP_ROOT}/outer/cgroup.subtree_control +memory`,
      `${CGROUP_ROOT}/outer/cgroup.subtree_control +hugetlb`,
      `${CGROUP_ROOT}/outer/inner/memory.max 64M`,
      `${CGROUP_ROOT}/outer/inner/cgroup.procs 42`,
    ]);
  });
});

/**
 * The script run for real on the host's shell against a directory standing in for
 * /sys/fs/cgroup: `mount` and `memharness-helper write-file` are replaced by stand-ins (by
 * their full path, so no host command can be reached) that log what they are asked (the
 * helper writes the value to the file, as the kernel would keep it).
 */
describe('the cgroup step script, run against a stand-in cgroup root', () => {
  let dir: string;
  let root: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mh-cgroup-'));
    root = path.join(dir, 'cgroup');
    fs.mkdirSync(root);
    fs.writeFileSync(path.join(root, 'cgroup.controllers'), 'cpuset cpu io memory hugetlb pids rdma misc\n');
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'mount'), `#!/bin/sh\necho "$*" >>${dir}/mount.log\n`, { mode: 0o755 });
    fs.writeFileSync(
      path.join(bin, 'memharness-helper'),
      `#!/bin/sh\necho "$2 $3" >>${dir}/writes.log\ncase "$3" in +pids) echo '{"id":0,"ok":false,"error":"write failed","ret":-1,"errno":2,"errnoName":"ENOENT"}'; exit 1;; esac\nprintf '%s' "$3" >"$2"\necho '{"id":0,"ok":true,"ret":1}'\n`,
      { mode: 0o755 },
    );
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const run = (p: CgroupPlan): string => {
    const script = cgroupStepScript(p)
      .replaceAll(CGROUP_ROOT, root)
      .replaceAll('mount -t cgroup2', `${dir}/bin/mount -t cgroup2`)
      .replaceAll('memharness-helper write-file', `${dir}/bin/memharness-helper write-file`);
    // Nothing of the host's: its cgroup tree, its mount, a helper on its PATH.
    expect(script).not.toContain(CGROUP_ROOT);
    expect(script.match(/(^|[^/])\b(mount|memharness-helper) /gm) ?? []).toEqual([]);
    return execFileSync(SHELL[0]!, [...SHELL.slice(1), '-c', script], { encoding: 'utf8' });
  };

  it('mounts, makes the group, writes in order and reports the members', () => {
    const p = plan();
    const stdout = run(p);
    const output = parseCgroupOutput(stdout, allWrites(p));
    expect(output).toMatchObject({ ok: true, mounted: true, controllers: 'cpuset cpu io memory hugetlb pids rdma misc', leftover: null });
    // This process's own /proc/PID/cgroup stands in for the helper's.
    expect(output.members[process.pid]).toBe(fs.readFileSync(`/proc/${process.pid}/cgroup`, 'utf8').split('\n')[0]);
    expect(fs.readFileSync(path.join(dir, 'mount.log'), 'utf8')).toBe(`-t cgroup2 cgroup2 ${root}\n`);
    expect(fs.readFileSync(path.join(dir, 'writes.log'), 'utf8').trim().split('\n')).toEqual([
      `${root}/cgroup.subtree_control +memory`,
      `${root}/cgroup.subtree_control +hugetlb`,
      `${root}/cg0/memory.max 64M`,
      `${root}/cg0/cgroup.procs ${process.pid}`,
    ]);
    expect(fs.statSync(path.join(root, 'cg0')).isDirectory()).toBe(true);
  });

  it('stops at the first refused write, which is the outcome, with the errno and the root controllers', () => {
    const p = plan({ controllers: ['memory', 'pids'] });
    const output = parseCgroupOutput(run(p), allWrites(p));
    expect(output).toMatchObject({ ok: false, errno: 'ENOENT' });
    expect(output.message).toBe(`enabling pids in ${CGROUP_ROOT}/cgroup.subtree_control failed with ENOENT (the root's cgroup.controllers: cpuset cpu io memory hugetlb pids rdma misc)`);
    expect(fs.existsSync(path.join(root, 'cg0'))).toBe(false);
  });

  it('a fresh step first takes away a group of the same name a reused guest still has', () => {
    fs.mkdirSync(path.join(root, 'cg0', 'leftover'), { recursive: true });
    fs.writeFileSync(path.join(root, 'cg0', 'leftover', 'cgroup.procs'), '');
    fs.writeFileSync(path.join(root, 'cg0', 'cgroup.procs'), '');
    const p = plan({ procs: [] });
    // A plain directory with files in it cannot be rmdir-ed as a cgroup can: kept, and said.
    expect(parseCgroupOutput(run(p), allWrites(p))).toMatchObject({ ok: true, leftover: 'kept' });
  });

  it('a later step on the same group neither removes nor remakes it', () => {
    fs.mkdirSync(path.join(root, 'cg0'));
    const p = plan({ fresh: false, controllers: [], set: [{ file: 'memory.high', value: 'max' }], procs: [] });
    expect(parseCgroupOutput(run(p), allWrites(p))).toMatchObject({ ok: true, leftover: null });
    expect(fs.readFileSync(path.join(root, 'cg0', 'memory.high'), 'utf8')).toBe('max');
  });
});

describe('parseCgroupOutput', () => {
  const writes = allWrites(plan());
  it('a mount or mkdir that fails is the outcome, its errno read from the message', () => {
    expect(parseCgroupOutput('mh-cg:mount:fail:mount: mounting cgroup2 on /sys/fs/cgroup failed: No such device\n', writes)).toMatchObject({ ok: false, errno: 'ENODEV', message: expect.stringMatching(/^mounting cgroup2 at \/sys\/fs\/cgroup failed: .*No such device$/) });
    expect(parseCgroupOutput("mh-cg:mkdir:fail:/sys/fs/cgroup/cg0:mkdir: can't create directory '/sys/fs/cgroup/cg0': No space left on device\n", writes)).toMatchObject({ ok: false, errno: 'ENOSPC' });
  });

  it('a write without a reply, and a script cut short', () => {
    expect(parseCgroupOutput('mh-cg:op:0:\n', writes)).toMatchObject({ ok: false, errno: null, message: expect.stringMatching(/got no reply from memharness-helper write-file/) });
    expect(parseCgroupOutput('mh-cg:controllers:memory\n', writes)).toMatchObject({ ok: false, message: 'the cgroup script stopped without saying why' });
  });

  it('EBUSY on enabling a controller says why', () => {
    const line = 'mh-cg:op:1:{"id":0,"ok":false,"error":"x","ret":-1,"errno":16,"errnoName":"EBUSY"}\n';
    expect(parseCgroupOutput(`mh-cg:op:0:{"id":0,"ok":true,"ret":7}\n${line}`, writes).message).toMatch(/failed with EBUSY \(a group with processes cannot enable controllers for children\)$/);
  });
});
