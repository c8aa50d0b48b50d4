import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { readRunResult } from '../results/read-run-result.ts';
import { runSuites, type RunSuitesOptions } from './run-suites.ts';

// The suite-problem path of `memharness run`: it stops before any kernel is resolved or guest
// boots, so it runs here without QEMU.

let tmp: string;
let stderr: string[];

beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'memharness-run-suites-'));
  stderr = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr.push(String(chunk));
    return true;
  });
});

afterEach(async () => {
  vi.restoreAllMocks();
  await fs.rm(tmp, { recursive: true, force: true });
});

async function run(overrides: Partial<RunSuitesOptions>) {
  const bad = path.join(tmp, 'bad.yaml');
  await fs.writeFile(bad, 'suite: bad\ntitle: a bad suite\ncases: 3\n');
  const out: string[] = [];
  const outcome = await runSuites({
    paths: [bad],
    kernels: [],
    reporters: ['list', 'json', 'junit', 'html'],
    retries: 0,
    repeatEach: 1,
    workers: 1,
    filter: {},
    accel: 'tcg',
    stdout: { write: (text: string) => out.push(text), isTTY: false },
    progress: { info: () => undefined, step: (_label, work) => work() },
    ...overrides,
  });
  return { outcome, bad, stdout: out.join(''), stderr: stderr.join('') };
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('runSuites with suite problems', () => {
  it('prints file:line:col on stderr and, for a job that chose its output, writes them to results.json, junit.xml, report.html and the list', async () => {
    const output = path.join(tmp, 'run');
    const { outcome, bad, stdout, stderr } = await run({ output, reportLoadProblems: true });
    expect(outcome.exitCode).toBe(2);
    expect(outcome.runDir).toBe(output);
    expect(stderr).toMatch(new RegExp(`^${escape(bad)}:3:8: cases: expected a list`, 'm'));
    expect(stderr).toContain('nothing was run');

    const results = await readRunResult(output);
    expect(results.errors).toEqual([{ message: expect.stringMatching(/^cases: expected a list/), location: `${bad}:3:8` }]);
    const message = results.errors![0]!.message;
    expect(results).toMatchObject({ complete: false, interrupted: false, cases: [], kernels: [] });
    expect(results.endedAt).not.toBeNull();

    const junit = await fs.readFile(path.join(output, 'junit.xml'), 'utf8');
    expect(junit).toContain(`<testcase classname="memharness.suites" name="${bad}:3:8" file="${bad}" time="0.000">`);
    expect(junit).toContain(`<error type="suite-problem" message="${bad}:3:8: ${message}">`);
    expect(await fs.readFile(path.join(output, 'report.html'), 'utf8')).toContain(`<pre class="run-error">${bad}:3:8: ${message}</pre>`);
    expect(stdout).toContain(`! error: ${bad}:3:8: ${message}`);
  });

  it('at a terminal without --output or --reporter: stderr alone, no run directory', async () => {
    const output = path.join(tmp, 'run');
    const { outcome, bad, stdout, stderr } = await run({ output });
    expect(outcome).toMatchObject({ exitCode: 2, run: null, runDir: null });
    expect(stderr).toMatch(new RegExp(`^${escape(bad)}:3:8: cases: expected a list`, 'm'));
    expect(stdout).toBe('');
    await expect(fs.access(output)).rejects.toThrow();
  });

  it('--list never writes a run directory', async () => {
    const output = path.join(tmp, 'run');
    const { outcome } = await run({ output, list: true, reportLoadProblems: true });
    expect(outcome.exitCode).toBe(2);
    await expect(fs.access(output)).rejects.toThrow();
  });
});
