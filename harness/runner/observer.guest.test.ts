import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRunResult } from '../results/read-run-result.ts';
import type { CaseResult, RunResult } from '../results/run-result.ts';
import { processesMentioning } from '../testing/guest-fixture.ts';
import { projectRoot } from '../util/paths.ts';

/**
 * The observer and the judge on a real guest (default kernel, `memharness run` as a user runs
 * it): a real ring-buffer overflow around an injection, and a real oops beside a report the
 * case allows or expects. harness/runner/fixtures/observer-self-test.yaml says how each is made.
 */
const cli = path.join(projectRoot, 'harness/bin/memharness.js');
let tmp: string;
let run: RunResult;
let output: { exitCode: number | undefined; stdout: string; stderr: string; leftovers: number[] };

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'memharness-observer-test-'));
  const dir = await fs.mkdtemp(path.join(tmp, 'tmpdir-'));
  const result = await execa('node', [cli, 'run', 'harness/runner/fixtures/observer-self-test.yaml', '--output', path.join(tmp, 'run'), '--reporter', 'list,json'], {
    cwd: projectRoot,
    reject: false,
    timeout: 900_000,
    env: { TMPDIR: dir },
  });
  output = { exitCode: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr), leftovers: await processesMentioning(dir) };
  run = await readRunResult(path.join(tmp, 'run'));
}, 900_000);

afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

/** The case, and on failure what its guest's console said (the last 80 lines). */
async function caseNamed(id: string): Promise<{ result: CaseResult; why: string }> {
  const result = run.cases.find((c) => c.caseId === id);
  if (!result) throw new Error(`no case ${id} in the run:\n${output.stdout}\n${output.stderr}`);
  const console = result.artifacts.console ? await fs.readFile(path.join(tmp, 'run', result.artifacts.console), 'latin1').catch(() => '') : '';
  return { result, why: `${JSON.stringify({ verdict: result.verdict, failure: result.failure, checks: result.checks }, null, 1)}\nconsole:\n${console.split('\n').slice(-80).join('\n')}` };
}

describe('the observer and the judge on a real 6.12 guest', () => {
  it('ran the three cases to their verdicts (exit 1: kernel failures, on purpose) and left nothing behind', () => {
    expect(output.exitCode, `${output.stdout}\n${output.stderr}`).toBe(1);
    expect(output.leftovers).toEqual([]);
    expect(run.complete).toBe(true);
  });

  it('a ring-buffer overflow after the injection: the loss is reported, counted events are not available, the case does not pass', async () => {
    const { result, why } = await caseNamed('kernel-log-flood');
    expect(result.lostLogRecords, why).toBeGreaterThan(1000);
    expect(result.verdict, why).toBe('failed');
    expect(result.failure?.message, why).toMatch(/^not available: \d+ kernel log records were lost in the case's window/);
    const statuses = (result.checks ?? []).filter((check) => check.text.startsWith('event:')).map((check) => check.status);
    // `at least 1` was seen before the flood; `1` and `none` could be undone by what was lost.
    expect(statuses, why).toEqual(['passed', 'not-available', 'not-available']);
  });

  it.each([
    ['oops-beside-an-allowed-report', 'allowed'],
    ['oops-beside-an-expected-report', 'expected'],
  ] as const)('%s: the oops fails the case as crashed; the unmovable-page dump is %s', async (id, disposition) => {
    const { result, why } = await caseNamed(id);
    expect(result.verdict, why).toBe('crashed');
    expect(result.crash?.title, why).toMatch(/in pagemap_pmd_range$/);
    const crashes = result.crashes ?? [];
    expect(crashes.filter((crash) => crash.title === 'page dumped because: unmovable page').map((crash) => crash.disposition), why).toContain(disposition);
    expect(crashes.filter((crash) => crash.disposition === 'unexpected').map((crash) => crash.title), why).toEqual([result.crash?.title]);
  });
});
