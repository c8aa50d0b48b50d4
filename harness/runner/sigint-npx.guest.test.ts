import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRunResult } from '../results/read-run-result.ts';
import { KERNEL_FAILURE_VERDICTS } from '../results/run-result.ts';
import { processesMentioning } from '../testing/guest-fixture.ts';
import { projectRoot } from '../util/paths.ts';

// Ctrl-C as a terminal sends it to `npx memharness run`: SIGINT to the whole foreground
// process group. With bash as npm's script shell (a machine whose /bin/sh is bash) bash execs
// memharness, which then gets the terminal's SIGINT and npm's forward of it: one Ctrl-C,
// which must stop the run in order (results finished, guests killed, exit 130), not count
// as the second "quit at once". The same without guests: harness/util/interrupt-npx.test.ts.

let tmp: string;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'memharness-sigint-npx-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

/** Running, not a zombie nobody reaped yet. */
async function alive(pid: number): Promise<boolean> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  return stat !== null && stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
}

/** Every process below `root` (QEMU is in a process group of its own, but still memharness's child). */
async function descendants(root: number): Promise<Array<{ pid: number; cmdline: string }>> {
  const parents = new Map<number, number>();
  for (const entry of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await fs.readFile(`/proc/${entry}/stat`, 'utf8').catch(() => null);
    if (stat) parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const [pid, ppid] of parents) if (ppid === parent) (found.push(pid), queue.push(pid));
  }
  return Promise.all(found.map(async (pid) => ({ pid, cmdline: (await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).replaceAll('\0', ' ') })));
}

describe('npx memharness run', () => {
  it('Ctrl-C to the process group: one orderly stop though memharness gets SIGINT twice; exit 130, results.json valid, no QEMU left', async () => {
    const output = path.join(tmp, 'interrupted');
    const dir = await fs.mkdtemp(path.join(tmp, 'tmpdir-'));
    const child = spawn('npx', ['memharness', 'run', 'harness/runner/fixtures/hwpoison-basic.yaml', '--workers', '1', '--output', output], {
      cwd: projectRoot,
      detached: true, // its own process group, as a terminal's foreground job
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, TMPDIR: dir, npm_config_script_shell: '/bin/bash', npm_config_update_notifier: 'false' },
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

    const deadline = Date.now() + 600_000;
    for (;;) {
      const done = await readRunResult(output).then((run) => run.cases.length).catch(() => 0);
      if (done >= 1 || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    // memharness and its guests, by PID, while the run is going: once the next case's QEMU is up.
    let before = await descendants(child.pid!);
    while (!before.some((p) => p.cmdline.includes('qemu-system')) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      before = await descendants(child.pid!);
    }
    expect(before.some((p) => /memharness(\.js)? run/.test(p.cmdline)), JSON.stringify(before)).toBe(true);
    expect(before.some((p) => p.cmdline.includes('qemu-system')), JSON.stringify(before)).toBe(true);

    process.kill(-child.pid!, 'SIGINT');
    const code = await exited;

    const run = await readRunResult(output);
    const kernelFailed = run.cases.some((result) => KERNEL_FAILURE_VERDICTS.includes(result.verdict));
    expect(code, stderr).toBe(kernelFailed ? 1 : 130);
    expect(stderr.match(/SIGINT: stopping; finishing the results/g), stderr).toHaveLength(1);
    expect(run.interrupted).toBe(true);
    expect(run.complete).toBe(false);
    // Finished in order: the end was written (a "quit at once" leaves endedAt null).
    expect(run.endedAt).not.toBeNull();
    expect(run.cases.length).toBeGreaterThanOrEqual(1);
    expect(run.cases.length).toBeLessThan(5);
    for (const process of before) expect(await alive(process.pid), `${process.pid} ${process.cmdline}`).toBe(false);
    expect(await processesMentioning(dir)).toEqual([]);
  });
});
