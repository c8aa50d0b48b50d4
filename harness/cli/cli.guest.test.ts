import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa, type Options } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processesMentioning } from '../testing/guest-fixture.ts';
import { projectRoot } from '../util/paths.ts';

// The CLI as a user runs it: a separate process, its exit code, stdout and stderr. Each test
// runs with its own TMPDIR, so any QEMU it left behind would be found by its command line.
const cli = path.join(projectRoot, 'harness/bin/memharness.js');
let tmp: string;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'memharness-cli-test-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

async function memharness(args: string[], options: Options = {}) {
  const dir = await fs.mkdtemp(path.join(tmp, 'run-'));
  const result = await execa('node', [cli, ...args], { reject: false, timeout: 600_000, stripFinalNewline: false, env: { TMPDIR: dir }, ...options });
  const leftovers = await processesMentioning(dir);
  return { ...result, leftovers, stdout: String(result.stdout), stderr: String(result.stderr) };
}

describe('memharness boot / exec', () => {
  it('boot --json prints one object with the kernel, accelerator and timings', async () => {
    const result = await memharness(['boot', '--json']);
    expect(result.exitCode, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(report.kernel).toMatch(/^6\.12\.\d+\+deb12-amd64$/);
    expect(['tcg', 'kvm']).toContain(report.accel);
    expect(report.bootMs).toBeGreaterThan(0);
    expect(report.readyMs).toBeGreaterThan(report.bootMs as number);
    expect(report.maxRssMiB).toBeLessThan(200);
    expect(result.leftovers).toEqual([]);
  });

  it('inject --json prints the injection, owner outcome, events and state diff as one object', async () => {
    const result = await memharness(['inject', '--kernel', '6.1.0-56', '--method', 'madvise-hwpoison', '--target', 'anon', '--json']);
    expect(result.exitCode, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as Record<string, any>;
    expect(report.kernel).toBe('6.1.0-56-amd64');
    expect(report.injection).toMatchObject({ method: 'madvise-hwpoison', target: { kind: 'anon' }, result: { ok: true } });
    expect(report.outcome.access).toMatchObject({ outcome: 'sigbus', sigbus: { codeName: 'BUS_MCEERR_AR' } });
    expect(report.events.map((e: { type: string }) => e.type)).toEqual(expect.arrayContaining(['hwpoison-injected', 'memory-failure']));
    expect(report.stateDiff.meminfo.HardwareCorrupted.delta).toBe(4);
    expect(report.guestAlive).toBe(true);
    expect(result.leftovers).toEqual([]);
  });

  it('exec runs the command in the guest and exits with its exit code', async () => {
    const result = await memharness(['exec', '--kernel', '6.1.0-56', '--', 'sh', '-c', 'uname -r; echo to-stderr >&2; exit 7']);
    expect(result.exitCode, result.stderr).toBe(7);
    expect(result.stdout).toBe('6.1.0-56-amd64\n');
    expect(result.stderr).toContain('to-stderr');
    expect(result.leftovers).toEqual([]);
  });
});

describe('bad input and failing guests get one clear message, exit 2, and no QEMU left', () => {
  it('a Debian version that does not exist', async () => {
    const result = await memharness(['boot', '--kernel', '6.12.999']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/6\.12\.999/);
    expect(result.stderr).toMatch(/6\.12\.1\d\d\+deb12/);
  });

  it('a path that is not a kernel', async () => {
    const result = await memharness(['boot', '--kernel', '/etc/passwd']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/\/etc\/passwd/);
    expect(result.stderr).toMatch(/is not a bootable x86-64 kernel: found a text file/);
  });

  it('a module the kernel does not have', async () => {
    const result = await memharness(['boot', '--module', 'no_such_module_xyz']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/no_such_module_xyz/);
    expect(result.leftovers).toEqual([]);
  });

  it('a guest that panics at boot', async () => {
    const result = await memharness(['boot', '--append', 'rdinit=/bogus', '--append', 'root=/dev/bogus']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/crashed.*Kernel panic - not syncing/);
    expect(result.stderr).toContain('guest console (last lines)');
    expect(result.stderr).toMatch(/full console log: \S+console\.log/);
    expect(result.leftovers).toEqual([]);
  });

  it('a guest that never becomes reachable', async () => {
    // A shell as init: the kernel boots, but nothing ever speaks the harness's protocol.
    const result = await memharness(['boot', '--append', 'rdinit=/bin/sh', '--boot-timeout', '30']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/did not get there while booting: no console line matched .*memharness-init: start.* within 30 s/);
    expect(result.stderr).toMatch(/Linux version|Run \/bin\/sh/);
    expect(result.leftovers).toEqual([]);
  });

  it('a busy SSH port', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const result = await memharness(['boot', '--ssh-port', String(port)]);
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toMatch(new RegExp(`port 127\\.0\\.0\\.1:${port} is already in use`));
      expect(result.leftovers).toEqual([]);
    } finally {
      server.close();
    }
  });

  it('Ctrl-C while the guest boots', async () => {
    const dir = await fs.mkdtemp(path.join(tmp, 'sigint-'));
    const child = execa('node', [cli, 'boot'], { reject: false, env: { TMPDIR: dir } });
    let stderr = '';
    await new Promise<void>((resolve) => {
      child.stderr!.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (/… booting/.test(stderr)) resolve();
      });
    });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await processesMentioning(dir)).not.toEqual([]);
    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode).toBe(130);
    expect(await processesMentioning(dir)).toEqual([]);
  });

  it('inject: an unknown method, and a method that cannot hit the target, are refused before any boot', async () => {
    const unknown = await memharness(['inject', '--method', 'laser', '--target', 'anon']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toMatch(/argument 'laser' is invalid. Allowed choices are debugfs, /);
    const impossible = await memharness(['inject', '--method', 'madvise-hwpoison', '--target', 'free']);
    expect(impossible.exitCode).toBe(2);
    expect(impossible.stderr).toMatch(/--method madvise-hwpoison cannot target --target free: .*no owner to call madvise/);
    expect(impossible.stderr).not.toMatch(/booting/);
  });

  it('inject: a guest that panics mid-injection is reported as a crash with its title, exit 1', async () => {
    const result = await memharness(['inject', '--method', 'debugfs', '--target', 'free', '--before-inject', 'echo c > /proc/sysrq-trigger']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/the guest kernel crashed during `memharness inject --method debugfs --target free`: kernel panic: sysrq triggered crash/);
    expect(result.stderr).toMatch(/full console log: \S+console\.log/);
    expect(result.leftovers).toEqual([]);
  });

  it('an unknown flag is a usage error', async () => {
    const result = await memharness(['boot', '--no-such-flag']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/unknown option '--no-such-flag'/);
  });
});
