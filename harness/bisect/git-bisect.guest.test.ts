import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processesMentioning } from '../testing/guest-fixture.ts';
import { projectRoot } from '../util/paths.ts';
import { readStepRecords } from './step-log.ts';

// `memharness bisect --git` end to end, as a user runs it: a small repository whose commits
// select prebuilt Debian kernels through the kernel file (commits 1-2: 6.1.0-56, 3-4:
// 6.12.117), and a case that fails on 6.1 and passes on 6.12 (fixtures/madvise-sigbus.yaml),
// so the first fixed commit is commit 3. git tests two commits, one run each.
const cli = path.join(projectRoot, 'harness/bin/memharness.js');
const suite = path.join(projectRoot, 'harness/bisect/fixtures/madvise-sigbus.yaml');
let tmp: string;
let repo: string;
const commits: string[] = [];

const git = async (...args: string[]) => String((await execa('git', args, { cwd: repo })).stdout).trim();

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'memharness-bisect-guest-'));
  repo = path.join(tmp, 'repo');
  await fs.mkdir(repo);
  await git('init', '-q', '-b', 'main');
  await git('config', 'user.email', 'test@example.org');
  await git('config', 'user.name', 'test');
  for (const [n, kernel] of [[1, '6.1.0-56'], [2, '6.1.0-56'], [3, '6.12.117'], [4, '6.12.117']] as const) {
    await fs.writeFile(path.join(repo, 'selected-kernel'), `${kernel}\n`);
    await fs.writeFile(path.join(repo, 'history'), `commit ${n}\n`, { flag: 'a' });
    await git('add', 'selected-kernel', 'history');
    await git('commit', '-q', '-m', `commit ${n}: select ${kernel}`);
    commits.push(await git('rev-parse', 'HEAD'));
  }
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('memharness bisect --git', () => {
  it('finds the commit that switches to the kernel where the case passes, and resets the repository', async () => {
    const output = path.join(tmp, 'out');
    const started = Date.now();
    const result = await execa(
      'node',
      [
        cli, 'bisect',
        '--git', repo,
        '--good', commits[0]!,
        '--bad', 'main',
        '--fix',
        '--build', 'cp selected-kernel built-kernel',
        '--kernel-file', 'built-kernel',
        '--case', 'bisect-fixture:madvise-sigbus-inside',
        '--suites', suite,
        '--runs', '1',
        '--output', output,
      ],
      { reject: false, timeout: 900_000, env: { TMPDIR: tmp } },
    );
    const stdout = String(result.stdout);
    expect(result.exitCode, `${stdout}\n${String(result.stderr)}`).toBe(0);
    expect(stdout).toContain(`First fixed commit: ${commits[2]} commit 3: select 6.12.117`);

    const steps = await readStepRecords(path.join(output, 'steps'));
    expect(steps.length).toBeGreaterThanOrEqual(1);
    expect(steps.length).toBeLessThanOrEqual(3);
    for (const step of steps) {
      // 6.1 fails (still broken: exit 0 under --fix), 6.12 passes (fixed: exit 1).
      const on61 = step.kernelRef === '6.1.0-56';
      expect(step.kernelRef).toMatch(/^6\.1\.0-56$|^6\.12\.117$/);
      expect(step).toMatchObject({ decision: on61 ? 'failing' : 'passing', exitCode: on61 ? 0 : 1 });
      expect(step.rounds).toHaveLength(1);
      expect(step.rounds[0]!.runs.map((run) => run.verdict)).toEqual([on61 ? 'failed' : 'passed']);
      await fs.access(path.join(output, 'steps', step.dir, 'round-1', 'results.json'));
    }
    const report = await fs.readFile(path.join(output, 'bisect.md'), 'utf8');
    expect(report).toContain(`First fixed commit: ${commits[2]}`);
    expect(report).toContain('## git bisect log');

    expect(await git('rev-parse', '--abbrev-ref', 'HEAD')).toBe('main');
    expect((await execa('git', ['bisect', 'log'], { cwd: repo, reject: false })).exitCode).not.toBe(0);
    expect(await processesMentioning(tmp)).toEqual([]);
    process.stderr.write(`bisect --git: ${steps.length} step(s) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  }, 900_000);
});
