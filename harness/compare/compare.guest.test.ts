import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRunResult } from '../results/read-run-result.ts';
import { processesMentioning } from '../testing/guest-fixture.ts';
import { projectRoot } from '../util/paths.ts';
import type { ComparisonJson } from './comparison-json.ts';

// The nightly flow as a user runs it: real runs of compare-fixture.yaml on Debian 6.1.0-47 and
// the newest 6.12, compared both ways, and a run Ctrl-C'd midway compared with a complete one.
// coin-flip is left out (its verdict is random by design); every other case comes out the
// same way on every run (fixtures/README.md).
const cli = path.join(projectRoot, 'harness/bin/memharness.js');
const SUITE = 'harness/compare/fixtures/compare-fixture.yaml';
const GREP = '^compare-fixture/(steady|broken|sigbus-inside-madvise|panics-before-6\\.12|infra-before-6\\.12|soft-offline-sysctl)$';
let tmp: string;
/** Every child gets this TMPDIR: a QEMU left behind would mention it on its command line. */
let childTmp: string;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'memharness-compare-test-'));
  childTmp = await fs.mkdtemp(path.join(tmp, 'tmpdir-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

async function memharness(args: string[]) {
  const result = await execa('node', [cli, ...args], { cwd: projectRoot, reject: false, timeout: 600_000, env: { TMPDIR: childTmp } });
  return { exitCode: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr) };
}

async function run(kernel: string, output: string) {
  const result = await memharness(['run', SUITE, '--kernel', kernel, '--workers', '2', '--grep', GREP, '--output', output, '--reporter', 'list']);
  // 1: the deliberately broken case fails on every kernel.
  expect(result.exitCode, `${result.stdout}\n${result.stderr}`).toBe(1);
  return readRunResult(output);
}

async function compare(oldDir: string, newDir: string, output: string) {
  const result = await memharness(['compare', oldDir, newDir, '--output', output]);
  const json = JSON.parse(await fs.readFile(path.join(output, 'compare.json'), 'utf8')) as ComparisonJson;
  const categories = Object.fromEntries(json.cases.map((entry) => [entry.key, entry.category]));
  return { ...result, json, categories };
}

describe('memharness compare on real runs', () => {
  const run61 = () => path.join(tmp, 'run-6.1');
  const run612 = () => path.join(tmp, 'run-6.12');

  it('6.1.0-47 against latest-6.12, both ways: version-dependent cases and the deliberately broken one classified', { timeout: 900_000 }, async () => {
    const old = await run('6.1.0-47', run61());
    const neu = await run('latest-6.12', run612());
    expect(old.kernels.map((k) => k.release)).toEqual(['6.1.0-47-amd64']);
    expect(neu.kernels.map((k) => k.release)).toEqual([expect.stringMatching(/^6\.12\.\d+\+deb12-amd64$/)]);

    const forward = await compare(run61(), run612(), path.join(tmp, 'forward'));
    expect(forward.exitCode, forward.stderr).toBe(0);
    expect(forward.categories).toEqual({
      'compare-fixture/steady': 'unchanged',
      'compare-fixture/broken': 'still-failing',
      'compare-fixture/sigbus-inside-madvise': 'fixed',
      'compare-fixture/panics-before-6.12': 'fixed',
      'compare-fixture/infra-before-6.12': 'unchanged',
      'compare-fixture/soft-offline-sysctl': 'skipped-changed',
    });
    expect(forward.stdout).toMatch(/^note: different kernels: the cases of 6\.1\.0-47-amd64 \(OLD\) are compared with the same cases on 6\.12\.\d+\+deb12-amd64 \(NEW\)$/m);

    const backward = await compare(run612(), run61(), path.join(tmp, 'backward'));
    expect(backward.exitCode, backward.stderr).toBe(1);
    expect(backward.categories).toEqual({
      'compare-fixture/steady': 'unchanged',
      'compare-fixture/broken': 'still-failing',
      'compare-fixture/sigbus-inside-madvise': 'new-failure',
      'compare-fixture/panics-before-6.12': 'new-crash',
      'compare-fixture/infra-before-6.12': 'infra',
      'compare-fixture/soft-offline-sysctl': 'skipped-changed',
    });
    expect(backward.stdout).toMatch(/^memharness compare: 1 new failure, 1 new crash, 1 still failing, 1 infra-only failure, 1 skip changed, 1 unchanged$/m);
    expect(backward.stdout).toMatch(/^ {2}compare-fixture\/sigbus-inside-madvise \[6\.1\.0-47-amd64\]: passed → failed\n {4}\S+compare-fixture\.yaml:\d+:\d+: step inject: expected SIGBUS BUS_MCEERR_AR/m);
    expect(backward.stdout).toContain('compare-fixture/panics-before-6.12 [6.1.0-47-amd64]: passed → crashed: kernel panic: sysrq triggered crash');
    expect(await fs.readFile(path.join(tmp, 'backward', 'compare.md'), 'utf8')).toMatch(/^# memharness compare: Regressed\n/);
    expect(await processesMentioning(childTmp)).toEqual([]);
  });

  it('a run killed midway compares cleanly with a complete one: what it did not reach is missing', { timeout: 900_000 }, async () => {
    const output = path.join(tmp, 'killed');
    const child = execa('node', [cli, 'run', SUITE, '--kernel', 'latest-6.12', '--workers', '2', '--grep', GREP, '--output', output], {
      cwd: projectRoot,
      reject: false,
      timeout: 600_000,
      env: { TMPDIR: childTmp },
    });
    const deadline = Date.now() + 600_000;
    while ((await readRunResult(output).then((r) => r.cases.filter((c) => c.verdict !== 'skipped').length, () => 0)) < 1 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    child.kill('SIGINT');
    const killed = await child;
    expect(await processesMentioning(childTmp)).toEqual([]);
    const partial = await readRunResult(output);
    expect(partial).toMatchObject({ interrupted: true, complete: false });
    expect(partial.cases.length).toBeLessThan(6);
    // 130 for the interruption, unless the broken case got done first: a kernel failure wins.
    const brokenDone = partial.cases.some((c) => c.verdict === 'failed');
    expect(killed.exitCode, String(killed.stderr)).toBe(brokenDone ? 1 : 130);
    expect(String(killed.stderr)).toContain('SIGINT: stopping; finishing the results');

    const result = await compare(run612(), output, path.join(tmp, 'killed-compare'));
    expect(result.exitCode, result.stderr).toBe(0);
    const done = new Set(partial.cases.map((c) => c.key));
    for (const [key, category] of Object.entries(result.categories)) {
      // Done cases come out as they did in the complete run; the rest are missing, never removed.
      expect(category, key).toBe(done.has(key) ? (key === 'compare-fixture/broken' ? 'still-failing' : 'unchanged') : 'missing');
    }
    expect(result.json.counts.missing).toBe(6 - done.size);
    expect(result.stdout).toContain('note: NEW is incomplete: the run was interrupted; cases it did not run are listed as missing, not removed');
  });
});
