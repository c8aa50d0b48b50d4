import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QmpClient, QmpError } from './qmp-client.ts';

// A real QEMU with no machine at all starts in milliseconds and speaks full QMP.
let dir: string;
let qemu: ReturnType<typeof execa>;
let qmp: QmpClient;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qmp-test-'));
  const socket = path.join(dir, 'qmp.sock');
  qemu = execa('qemu-system-x86_64', ['-machine', 'none', '-nodefaults', '-display', 'none', '-qmp', `unix:${socket},server=on,wait=off`], { reject: false });
  qmp = await QmpClient.connect(socket, { timeoutMs: 10_000 });
});

afterAll(async () => {
  qmp?.close();
  qemu?.kill('SIGKILL');
  await qemu;
  await fs.rm(dir, { recursive: true, force: true });
});

describe('QmpClient against a real QEMU', () => {
  it('runs commands and pairs replies', async () => {
    const [version, status] = await Promise.all([
      qmp.execute<{ qemu: { major: number } }>('query-version'),
      qmp.execute<{ status: string }>('query-status'),
    ]);
    expect(version.qemu.major).toBeGreaterThanOrEqual(7);
    expect(typeof status.status).toBe('string');
  });

  it('reports QEMU errors with their class', async () => {
    const error = await qmp.execute('no-such-command').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QmpError);
    expect((error as QmpError).errorClass).toBe('CommandNotFound');
  });

  it('runs human monitor commands', async () => {
    expect(await qmp.hmp('info version')).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('sees events and a close on quit', async () => {
    const shutdown = qmp.waitForEvent('SHUTDOWN', { timeoutMs: 10_000 });
    const closed = new Promise<void>((resolve) => qmp.once('close', resolve));
    await qmp.execute('quit').catch(() => undefined);
    await expect(shutdown).resolves.toMatchObject({ event: 'SHUTDOWN' });
    await closed;
  });
});
