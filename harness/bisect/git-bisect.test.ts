import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseRunResult } from '../results/read-run-result.ts';
import type { Verdict } from '../results/run-result.ts';
import { projectRoot } from '../util/paths.ts';
import type { RoundOutcome } from './case-round.ts';
import { parseBisectRunOutput, runGitBisect } from './git-bisect.ts';
import { renderGitReport } from './git-report.ts';
import { kernelRefOf, runGitStep, STEP_EXIT, type GitStepOptions } from './git-step.ts';
import { runRecordOf } from './run-classification.ts';
import { readStepRecords } from './step-log.ts';

// Results recorded on a real 6.1.0-47 guest (harness/compare/fixtures/README.md).
const FIXTURE_61 = path.join(projectRoot, 'harness/compare/fixtures/compare-fixture-6.1.json');
const RECORDED = parseRunResult(JSON.parse(readFileSync(FIXTURE_61, 'utf8')), FIXTURE_61);
const recorded = (caseId: string, repeatIndex: number) => ({ ...runRecordOf(RECORDED.cases.find((c) => c.caseId === caseId)!), repeatIndex });

// A real repository and a real `git bisect run`; the step is a shell command instead of a guest.
let tmp: string;
let repo: string;
const commits: string[] = [];

async function git(...args: string[]): Promise<string> {
  return String((await execa('git', args, { cwd: repo })).stdout).trim();
}

beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'memharness-git-bisect-test-'));
  repo = path.join(tmp, 'repo');
  await fs.mkdir(repo);
  await git('init', '-q', '-b', 'main');
  await git('config', 'user.email', 'test@example.org');
  await git('config', 'user.name', 'test');
  commits.length = 0;
  for (const [n, kernel] of [[1, '6.1.0-56'], [2, '6.1.0-56'], [3, '6.12.117'], [4, '6.12.117'], [5, '6.12.117']] as const) {
    await fs.writeFile(path.join(repo, 'kernel-ref'), `${kernel}\n`);
    await git('add', 'kernel-ref');
    await git('commit', '-q', '--allow-empty', '-m', `commit ${n}: ${kernel}`);
    commits.push(await git('rev-parse', 'HEAD'));
  }
});
afterEach(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('runGitBisect', () => {
  it('finds the first fixed commit with git\'s broken/fixed terms, and leaves the repository on its branch', async () => {
    const lines: string[] = [];
    const result = await runGitBisect({
      repo,
      good: commits[0]!,
      bad: 'main',
      fix: true,
      step: ['sh', '-c', 'test "$(cat kernel-ref)" = 6.12.117 && exit 1; exit 0'],
      onOutput: (line) => lines.push(line),
    });
    expect(result.answer).toEqual({ kind: 'found', commit: commits[2], subject: 'commit 3: 6.12.117' });
    expect(result.badCommit).toBe(commits[4]);
    expect(result.log).toContain(`# first fixed commit: [${commits[2]}] commit 3: 6.12.117`);
    expect(lines.some((line) => line.startsWith('running'))).toBe(true);
    expect(await git('rev-parse', '--abbrev-ref', 'HEAD')).toBe('main');
    expect((await execa('git', ['bisect', 'log'], { cwd: repo, reject: false })).exitCode).not.toBe(0);
  });

  it('answers with the suspects when skipped commits sit next to the first bad one', async () => {
    const result = await runGitBisect({
      repo,
      good: commits[0]!,
      bad: commits[4]!,
      fix: false,
      step: ['sh', '-c', 'git log -1 --format=%s | grep -q "commit [34]" && exit 125; test "$(cat kernel-ref)" = 6.12.117 && exit 1; exit 0'],
      onOutput: () => {},
    });
    expect(result.answer.kind).toBe('suspects');
    // git lists them in its own order; commit 5 is the first one tested bad.
    expect(result.answer.kind === 'suspects' && [...result.answer.commits].sort()).toEqual([commits[2], commits[3], commits[4]].sort());
  });

  it('reports a step that aborts the bisect as no answer, and still resets', async () => {
    const result = await runGitBisect({ repo, good: commits[0]!, bad: commits[4]!, fix: false, step: ['sh', '-c', 'exit 128'], onOutput: () => {} });
    expect(result.answer.kind).toBe('failed');
    expect(await git('rev-parse', '--abbrev-ref', 'HEAD')).toBe('main');
  });

  it('refuses a dirty worktree, an unknown revision, and a bisect already in progress', async () => {
    const options = { repo, good: commits[0]!, bad: commits[4]!, fix: false, step: ['true'], onOutput: () => {} };
    await expect(runGitBisect({ ...options, good: 'no-such-rev' })).rejects.toThrow(/--good no-such-rev: no such commit/);
    await fs.writeFile(path.join(repo, 'kernel-ref'), 'edited\n');
    await expect(runGitBisect(options)).rejects.toThrow(/uncommitted changes/);
    await git('checkout', '-q', '--', 'kernel-ref');
    await git('bisect', 'start');
    await expect(runGitBisect(options)).rejects.toThrow(/already in progress/);
    await git('bisect', 'reset');
  });
});

describe('parseBisectRunOutput', () => {
  it('reads git 2.39\'s answer lines', () => {
    // As `git bisect run` printed them in the tests above.
    const found = `${'a'.repeat(40)} is the first bad commit\ncommit ${'a'.repeat(40)}\nAuthor: t <t@t>\nDate:   Sun Nov 22 05:56:14 2026 +0000\n\n    commit 3\n\n kernel-ref | 2 +-\n`;
    expect(parseBisectRunOutput(found, 0)).toEqual({ kind: 'found', commit: 'a'.repeat(40), subject: 'commit 3' });
    expect(parseBisectRunOutput('error: bisect run failed: exit code 200 from \'x\' is < 0 or >= 128\n', 1)).toEqual({ kind: 'failed', message: "error: bisect run failed: exit code 200 from 'x' is < 0 or >= 128" });
  });
});

describe('runGitStep', () => {
  const round = (verdicts: Verdict[]) => async (): Promise<RoundOutcome> => ({ interrupted: false, runs: verdicts.map((verdict, repeatIndex) => ({ repeatIndex, verdict })) });
  const stepOptions = (overrides: Partial<GitStepOptions>): GitStepOptions => ({
    dir: repo,
    build: null,
    kernelFile: 'kernel-ref',
    caseKey: 'bisect-fixture/madvise-sigbus-inside',
    suiteFile: '/unused.yaml',
    runs: 2,
    badThreshold: 1,
    fix: false,
    crashTitles: [],
    output: path.join(tmp, 'steps'),
    log: () => {},
    ...overrides,
  });

  it('answers git: 1 bad, 0 good, reversed with --fix, and logs each step', async () => {
    const kernels: string[] = [];
    const failing = async (kernelRef: string) => {
      kernels.push(kernelRef);
      return round(['failed', 'passed'])();
    };
    expect((await runGitStep(stepOptions({ runRound: failing }))).exitCode).toBe(STEP_EXIT.new);
    expect((await runGitStep(stepOptions({ runRound: failing, fix: true }))).exitCode).toBe(STEP_EXIT.old);
    expect((await runGitStep(stepOptions({ runRound: round(['passed', 'passed']) }))).exitCode).toBe(STEP_EXIT.old);
    expect(kernels).toEqual(['6.12.117', '6.12.117']);
    const records = await readStepRecords(path.join(tmp, 'steps'));
    expect(records.map((r) => [r.number, r.commit, r.decision, r.exitCode])).toEqual([
      [1, commits[4], 'failing', 1],
      [2, commits[4], 'failing', 0],
      [3, commits[4], 'passing', 0],
    ]);
    expect(records[0]!.dir).toBe(`01-${commits[4]!.slice(0, 12)}`);
  });

  it('skips (125) a failed build, a missing kernel file, infra errors and inconclusive runs', async () => {
    const never = async (): Promise<RoundOutcome> => {
      throw new Error('must not run');
    };
    const failedBuild = await runGitStep(stepOptions({ build: 'echo compiling; echo "error: no rule" >&2; exit 2', runRound: never }));
    expect(failedBuild.exitCode).toBe(STEP_EXIT.skip);
    expect(failedBuild.record.reason).toMatch(/the build failed \(exit 2; 01-[0-9a-f]{12}\/build\.log\): compiling \| error: no rule/);
    expect(await fs.readFile(path.join(tmp, 'steps', failedBuild.record.dir, 'build.log'), 'utf8')).toContain('error: no rule');
    expect((await runGitStep(stepOptions({ kernelFile: 'missing', runRound: never }))).record.reason).toMatch(/wrote no kernel file/);
    expect((await runGitStep(stepOptions({ runRound: round(['infra-error', 'infra-error']) }))).exitCode).toBe(STEP_EXIT.skip);
    let rounds = 0;
    const inconclusive = async () => {
      rounds += 1;
      return round(['failed', 'passed'])();
    };
    expect((await runGitStep(stepOptions({ badThreshold: 2, runRound: inconclusive }))).exitCode).toBe(STEP_EXIT.skip);
    expect(rounds).toBe(2);
  });

  it('runs the build in the worktree and reads the kernel it names (paths relative to the worktree)', async () => {
    const ran: string[] = [];
    const result = await runGitStep(stepOptions({ build: 'echo build/bzImage > out-ref', kernelFile: 'out-ref', runRound: async (kernelRef) => (ran.push(kernelRef), round(['passed', 'passed'])()) }));
    expect(result.exitCode).toBe(STEP_EXIT.old);
    expect(ran).toEqual([path.join(repo, 'build', 'bzImage')]);
    expect(await kernelRefOf(repo, null)).toEqual({ ref: repo });
  });

  it('reports each step in the git report', async () => {
    await runGitStep(stepOptions({ runRound: round(['failed', 'failed']) }));
    const steps = await readStepRecords(path.join(tmp, 'steps'));
    const report = renderGitReport(
      { repo, good: 'c1', bad: 'c4', case: 'bisect-fixture/madvise-sigbus-inside', build: null, kernelFile: 'kernel-ref', runs: 2, badThreshold: 1, fix: false },
      { answer: { kind: 'found', commit: commits[4]!, subject: 'commit 5: 6.12.117' }, goodCommit: commits[0]!, badCommit: commits[4]!, log: 'git bisect start', output: '' },
      steps,
    );
    expect(report).toContain(`First bad commit: ${commits[4]} commit 5: 6.12.117`);
    expect(report).toContain(`| 01 | ${commits[4]!.slice(0, 12)} | commit 5: 6.12.117 | 6.12.117 | round 1: failed ×2 | failing:`);
  });

  it('logs, keeps in steps.jsonl and reports why each run failed or crashed', async () => {
    const lines: string[] = [];
    const runRound = async (): Promise<RoundOutcome> => ({ interrupted: false, runs: [recorded('sigbus-inside-madvise', 0), recorded('panics-before-6.12', 1)] });
    await runGitStep(stepOptions({ runRound, log: (line) => lines.push(line) }));
    expect(lines.slice(0, 3)).toEqual([
      'memharness bisect-step: round 1 on 6.12.117: failed, crashed',
      'memharness bisect-step:   run 1 failed: harness/compare/fixtures/compare-fixture.yaml:37:9: step inject: expected SIGBUS BUS_MCEERR_AR at $t0.vaddr=0x7f44e5248000, got none (madvise(0x7f44e5248000, 4096, MADV_HWPOISON) in the helper (pid 99): ok)',
      'memharness bisect-step:   run 2 crashed: kernel panic: sysrq triggered crash',
    ]);
    const steps = await readStepRecords(path.join(tmp, 'steps'));
    expect(steps[0]!.rounds[0]!.runs.map((run) => [run.why, run.reason])).toEqual([
      ['failed', 'harness/compare/fixtures/compare-fixture.yaml:37:9: step inject: expected SIGBUS BUS_MCEERR_AR at $t0.vaddr=0x7f44e5248000, got none (madvise(0x7f44e5248000, 4096, MADV_HWPOISON) in the helper (pid 99): ok)'],
      ['crashed', 'kernel panic: sysrq triggered crash'],
    ]);
    const report = renderGitReport(
      { repo, good: 'c1', bad: 'c4', case: 'compare-fixture/sigbus-inside-madvise', build: null, kernelFile: 'kernel-ref', runs: 2, badThreshold: 1, fix: false },
      { answer: { kind: 'found', commit: commits[4]!, subject: 'commit 5: 6.12.117' }, goodCommit: commits[0]!, badCommit: commits[4]!, log: 'git bisect start', output: '' },
      steps,
    );
    expect(report).toContain(
      `| 01 | ${commits[4]!.slice(0, 12)} | commit 5: 6.12.117 | 6.12.117 | round 1: failed \`harness/compare/fixtures/compare-fixture.yaml:37:9: step inject: expected SIGBUS BUS_MCEERR_AR at $t0.vaddr=0x7f44e5248000, got none (madvise(0x7f44e5248000, 4096, MADV_HWPOISON) in the helper (pid 99): ok)\`, crashed \`kernel panic: sysrq triggered crash\` | failing: 2 failing, 0 passing, 0 skip of 2 run(s) (bad-like at 1+ failing) | 1 |`,
    );
  });
});
