import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TimeoutError } from '../util/timeout-error.ts';
import { ConsoleClosedError, SerialConsole, escapeConsoleText } from './serial-console.ts';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'console-test-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('SerialConsole', () => {
  it('splits chunks into lines across chunk borders and strips CR', async () => {
    const console = new SerialConsole({ logPath: path.join(dir, 'c.log'), startedAt: Date.now() });
    console.push('Linux version 6.12');
    console.push('.117\r\nsecond');
    console.push(' line\n');
    expect(console.lines().map((l) => l.text)).toEqual(['Linux version 6.12.117', 'second line']);
    await console.close();
    const log = await fs.readFile(path.join(dir, 'c.log'), 'utf8');
    expect(log).toMatch(/^\[\s+\d+\.\d{3}\] Linux version 6\.12\.117\n\[\s+\d+\.\d{3}\] second line\n$/);
  });

  it('waits for a line, sees the tail when asked, and fails on close or deadline', async () => {
    const console = new SerialConsole({ logPath: path.join(dir, 'c.log'), startedAt: Date.now() });
    console.push('memharness-init: start\n');
    await expect(console.waitForLine(/init: start/, { timeoutMs: 10, includeTail: true })).resolves.toMatchObject({ text: 'memharness-init: start' });
    const waiting = console.waitForLine(/ready/, { timeoutMs: 5_000 });
    console.push('memharness-init: ready ssh=1\n');
    await expect(waiting).resolves.toMatchObject({ text: 'memharness-init: ready ssh=1' });
    await expect(console.waitForLine(/never/, { timeoutMs: 20 })).rejects.toMatchObject({ name: 'TimeoutError', scope: 'console' });
    await expect(console.waitForLine(/never/, { timeoutMs: 20 })).rejects.toBeInstanceOf(TimeoutError);
    const orphan = console.waitForLine(/never/, { timeoutMs: 5_000 });
    await console.close();
    await expect(orphan).rejects.toBeInstanceOf(ConsoleClosedError);
  });

  it('caps the log file and the line length; a guest cannot fill the disk', async () => {
    const console = new SerialConsole({ logPath: path.join(dir, 'c.log'), startedAt: Date.now(), maxLogBytes: 1000, maxLineLength: 100 });
    for (let i = 0; i < 100; i++) console.push(`${'x'.repeat(50)}\n`);
    console.push('y'.repeat(500));
    await console.close();
    const log = await fs.readFile(path.join(dir, 'c.log'), 'utf8');
    expect(log.length).toBeLessThan(1100);
    expect(log).toContain('console log truncated at 1000 bytes');
    expect(Math.max(...console.lines().map((l) => l.text.length))).toBeLessThanOrEqual(100);
  });

  it('escapes terminal control sequences in rendered output', () => {
    expect(escapeConsoleText('ok\x1b]0;pwned\x07\ttab')).toBe('ok\\x1b]0;pwned\\x07\ttab');
  });
});
