import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRunResult } from '../results/read-run-result.ts';
import { KERNEL_FAILURE_VERDICTS } from '../results/run-result.ts';
import { processesMentioning } from '../testing/guest-fixture.ts';
import { projectRoot } from '../util/paths.ts';

// `memharness run` as a user runs it: a separate process on the default kernel.
const cli = path.join(projectRoot, 'harness/bin/memharness.js');
let tmp: string;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'memharness-run-test-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

async function memharness(args: string[]) {
  const dir = await fs.mkdtemp(path.join(tmp, 'tmpdir-'));
  const result = await execa('node', [cli, ...args], { cwd: projectRoot, reject: false, timeout: 900_000, env: { TMPDIR: dir } });
  return { exitCode: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr), leftovers: await processesMentioning(dir) };
}

/** Measured on Debian 6.12 under TCG (see harness/runner/README.md). */
const EXPECTED = {
  'hwpoison-basic/poison-free-debugfs': 'passed',
  'hwpoison-basic/poison-anon-debugfs': 'passed',
  'hwpoison-basic/poison-anon-madvise-hwpoison': 'passed',
  'hwpoison-basic/anon-madvise-sigbus': 'passed',
  'hwpoison-basic/mce-srao-anon': 'passed',
};

describe('memharness run', () => {
  it('stops at suite problems with exit code 2 before anything boots, and puts them in the reports it was asked for', async () => {
    const bad = path.join(tmp, 'bad.yaml');
    await fs.writeFile(bad, 'suite: bad\ncases: 3\n');
    const output = path.join(tmp, 'bad-run');
    const result = await memharness(['run', bad, '--output', output, '--reporter', 'json,junit']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/bad\.yaml:2:8: cases: expected a list/);
    expect(result.leftovers).toEqual([]);
    const run = await readRunResult(output);
    expect(run).toMatchObject({ complete: false, kernels: [], cases: [] });
    expect(run.errors).toContainEqual({ message: expect.stringMatching(/^cases: expected a list/), location: `${bad}:2:8` });
    expect(await fs.readFile(path.join(output, 'junit.xml'), 'utf8')).toMatch(/<error type="suite-problem" message="[^"]*bad\.yaml:2:8: cases: expected a list/);
  });

  it('runs hwpoison-basic on the default kernel and writes every requested report', async () => {
    const output = path.join(tmp, 'run');
    const result = await memharness(['run', 'harness/runner/fixtures/hwpoison-basic.yaml', '--output', output, '--reporter', 'list,json,junit,ktap']);
    expect(result.exitCode, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.leftovers).toEqual([]);

    const run = await readRunResult(output);
    expect(run.complete).toBe(true);
    expect(run.interrupted).toBe(false);
    expect(run.kernels.map((kernel) => kernel.release)).toEqual([expect.stringMatching(/^6\.12\.\d+\+deb12-amd64$/)]);
    expect(Object.fromEntries(run.cases.map((c) => [c.key, c.verdict]))).toEqual(EXPECTED);
    // One boot for the group (the template). A copy-on-write snapshot (RAM on /dev/shm) ends the
    // template once saved, so every case restores; a copy snapshot's guest runs the first case.
    const isolations = run.cases.map((c) => c.attempts.map((a) => a.isolation).join(','));
    const copyOnWrite = /snapshot save [\d.]+ s \(copy-on-write\)/.test(result.stderr + result.stdout);
    expect(isolations.filter((i) => i === 'boot')).toHaveLength(copyOnWrite ? 0 : 1);
    expect(isolations.filter((i) => i === 'restore')).toHaveLength(run.cases.length - (copyOnWrite ? 0 : 1));
    // This host's /dev/shm has room for a 2 GiB guest: the test must see the copy-on-write path.
    expect(copyOnWrite, `${result.stdout}\n${result.stderr}`).toBe((await fs.statfs('/dev/shm').then((s) => (s.bavail * s.bsize) / 2 ** 20 > 2048, () => false)));
    for (const c of run.cases) {
      expect(c.artifacts.console, c.key).toBeDefined();
      await fs.access(path.join(output, c.artifacts.console!));
    }

    const junit = new XMLParser({ ignoreAttributes: false }).parse(await fs.readFile(path.join(output, 'junit.xml'), 'utf8')) as { testsuites: Record<string, unknown> };
    expect(junit.testsuites).toBeDefined();
    const ktap = await fs.readFile(path.join(output, 'results.ktap'), 'utf8');
    expect(ktap).toMatch(/^KTAP version 1\n/);
    expect(ktap).not.toMatch(/^\s*not ok/m);
    expect(result.stdout).toMatch(/5 passed/);
  });

  it('on 2 workers: a wrong expectation fails saying what the kernel did, a panic is crashed with its title, the run goes on', async () => {
    const output = path.join(tmp, 'self-test');
    const result = await memharness(['run', 'harness/runner/fixtures/runner-self-test.yaml', '--workers', '2', '--output', output, '--reporter', 'list,json,junit,ktap,html']);
    expect(result.exitCode, `${result.stdout}\n${result.stderr}`).toBe(1);
    expect(result.leftovers).toEqual([]);
    const run = await readRunResult(output);
    expect(run.complete).toBe(true);
    expect(run.workers).toBe(2);
    expect(Object.fromEntries(run.cases.map((c) => [c.key, c.verdict]))).toEqual({
      'runner-self-test/passes-before': 'passed',
      'runner-self-test/wrong-expectation': 'failed',
      'runner-self-test/panics': 'crashed',
      'runner-self-test/passes-after-1': 'passed',
      'runner-self-test/passes-after-2': 'passed',
      'runner-self-test/passes-after-3': 'passed',
    });
    const wrong = run.cases.find((c) => c.caseId === 'wrong-expectation')!;
    expect(wrong.failure?.message).toMatch(/expected 1 kernel event 'memory-failure' with pfn=\$t0\.pfn=0x[0-9a-f]+ result=Ignored/);
    expect(wrong.failure?.message).toMatch(/'memory-failure' events it did log: .*Recovered/);
    expect(wrong.failure?.location).toMatch(/runner-self-test\.yaml:\d+:\d+$/);
    const panic = run.cases.find((c) => c.caseId === 'panics')!;
    expect(panic.crash?.title).toMatch(/sysrq triggered crash/);
    expect(result.stdout).toMatch(/kernel failures \(2\)/);

    const junit = new XMLParser({ ignoreAttributes: false }).parse(await fs.readFile(path.join(output, 'junit.xml'), 'utf8')) as { testsuites: { '@_failures'?: string; '@_errors'?: string } };
    expect(Number(junit.testsuites['@_failures'] ?? 0) + Number(junit.testsuites['@_errors'] ?? 0)).toBe(2);
    const ktap = await fs.readFile(path.join(output, 'results.ktap'), 'utf8');
    expect(ktap.match(/^\s*not ok \d+ /gm)?.length).toBeGreaterThanOrEqual(2);
    const html = await fs.readFile(path.join(output, 'report.html'), 'utf8');
    expect(html).toContain('sysrq triggered crash');
  });

  it('three shards merged equal the unsharded run; an empty shard compared with --baseline lists the rest as missing', async () => {
    const unsharded = path.join(tmp, 'self-test');
    const whole = await readRunResult(unsharded);
    const shards: string[] = [];
    for (const index of [1, 2, 3]) {
      const output = path.join(tmp, `shard-${index}`);
      const args = ['run', 'harness/runner/fixtures/runner-self-test.yaml', '--shard', `${index}/3`, '--workers', '1', '--output', output, '--reporter', 'json'];
      if (index === 2) args.push('--baseline', unsharded);
      const result = await memharness(args);
      expect([0, 1], `${result.stdout}\n${result.stderr}`).toContain(result.exitCode);
      expect(result.leftovers).toEqual([]);
      // The suite is one guest group (kernel x guest configuration), which sharding never splits:
      // shard 1 runs it all (its failure and crash: exit 1), shards 2 and 3 get no group and run nothing.
      if (index === 1) expect(result.exitCode, result.stdout).toBe(1);
      else expect(result.stderr).toContain(`shard ${index}/3 got no guest group (1 group(s) for 3 shards): it runs nothing`);
      if (index === 2) {
        // Nothing ran: every case of the unsharded run is missing, not removed, and nothing regressed.
        expect(result.exitCode, result.stdout).toBe(0);
        expect(result.stdout).toMatch(/missing/);
        const comparison = JSON.parse(await fs.readFile(path.join(output, 'compare.json'), 'utf8')) as unknown;
        expect(JSON.stringify(comparison)).toContain('missing');
      }
      shards.push(output);
    }
    const shardRuns = await Promise.all(shards.map((dir) => readRunResult(dir)));
    expect(shardRuns.map((run) => run.shard)).toEqual([{ index: 1, total: 3 }, { index: 2, total: 3 }, { index: 3, total: 3 }]);
    expect(shardRuns.map((run) => run.cases.length)).toEqual([6, 0, 0]);
    expect(shardRuns.map((run) => run.kernels.length)).toEqual([1, 0, 0]);

    const merged = path.join(tmp, 'merged');
    const merge = await memharness(['merge', ...shards, '--output', merged, '--reporter', 'json,junit,ktap']);
    expect(merge.exitCode, `${merge.stdout}\n${merge.stderr}`).toBe(0);
    const mergedRun = await readRunResult(merged);
    const verdicts = (run: typeof whole) => Object.fromEntries(run.cases.map((c) => [c.key, c.verdict]));
    expect(verdicts(mergedRun)).toEqual(verdicts(whole));
    expect(mergedRun.cases.find((c) => c.caseId === 'panics')!.crash?.title).toBe(whole.cases.find((c) => c.caseId === 'panics')!.crash?.title);
  });

  it('Ctrl-C midway: exit 130, the guests die, results.json valid with the cases done', async () => {
    const output = path.join(tmp, 'interrupted');
    const dir = await fs.mkdtemp(path.join(tmp, 'tmpdir-'));
    const child = execa('node', [cli, 'run', 'harness/runner/fixtures/runner-self-test.yaml', '--workers', '1', '--output', output], { cwd: projectRoot, reject: false, timeout: 900_000, env: { TMPDIR: dir } });
    const deadline = Date.now() + 600_000;
    for (;;) {
      const done = await readRunResult(output).then((run) => run.cases.length).catch(() => 0);
      if (done >= 1 || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    child.kill('SIGINT');
    const result = await child;
    const run = await readRunResult(output);
    // A kernel failure finished before the stop wins over "interrupted" (exitCodeForRun):
    // the wrong-expectation case may or may not have ended when SIGINT arrived.
    const kernelFailed = run.cases.some((result) => KERNEL_FAILURE_VERDICTS.includes(result.verdict));
    expect(result.exitCode, String(result.stderr)).toBe(kernelFailed ? 1 : 130);
    expect(String(result.stderr)).toMatch(/SIGINT: stopping; finishing the results/);
    // No boot after the stop: a restore killed by Ctrl-C is not a broken snapshot to boot around.
    expect(String(result.stderr)).not.toMatch(/booting a fresh guest per case/);
    expect(await processesMentioning(dir)).toEqual([]);
    expect(run.interrupted).toBe(true);
    expect(run.complete).toBe(false);
    expect(run.cases.length).toBeGreaterThanOrEqual(1);
    expect(run.cases.length).toBeLessThan(6);
  });
});
