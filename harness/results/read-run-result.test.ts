import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sampleRun } from '../reporters/testing/sample-run.ts';
import { HarnessError } from '../util/errors.ts';
import { readRunResult } from './read-run-result.ts';

let dir: string;
let file: string;

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'memharness-read-'));
  file = path.join(dir, 'results.json');
});

afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function problem(content: string): Promise<string> {
  await fs.writeFile(file, content);
  const error = await readRunResult(dir).then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(HarnessError);
  expect((error as HarnessError).kind).toBe('usage');
  return (error as HarnessError).message;
}

describe('readRunResult', () => {
  it('reads a run directory or its results.json, and round-trips every verdict', async () => {
    const run = sampleRun();
    await fs.writeFile(file, JSON.stringify(run));
    expect(await readRunResult(dir)).toEqual(run);
    expect(await readRunResult(file)).toEqual(run);
  });

  it('names the file and the exact field of each problem', async () => {
    const run = sampleRun() as unknown as { cases: Array<Record<string, unknown>>; accelerator: Record<string, unknown> };
    run.cases[3]!.verdict = 'exploded';
    delete run.cases[5]!.key;
    run.accelerator.accel = 'hvf';
    const message = await problem(JSON.stringify(run));
    expect(message).toContain(`${file} is not a valid results file:`);
    expect(message).toContain(`${file}: cases[3].verdict: Invalid option: expected one of "passed"|"failed"`);
    expect(message).toContain(`${file}: cases[5].key: Invalid input: expected string, received undefined`);
    expect(message).toContain(`${file}: accelerator.accel: Invalid option`);
  });

  it('checks nested model values: injections, state diff, attempts', async () => {
    const run = sampleRun() as unknown as { cases: Array<Record<string, any>> };
    run.cases[0]!.injections[0].method = 'hammer';
    run.cases[0]!.stateDiff.pages['0x60000'] = { available: true };
    run.cases[7]!.attempts[1].verdict = 'flaky';
    const message = await problem(JSON.stringify(run));
    expect(message).toContain('cases[0].injections[0].method');
    expect(message).toContain('cases[0].stateDiff.pages.0x60000.value');
    expect(message).toContain('cases[7].attempts[1].verdict');
  });

  it('says what is wrong with files that are not results at all', async () => {
    expect(await problem('{"schemaVersion": 1, "cases": [')).toMatch(/results\.json: not JSON: /);
    expect(await problem(JSON.stringify({ ...sampleRun(), schemaVersion: 2 }))).toContain('schemaVersion 2 is not one this harness reads (it reads 1)');
    await fs.rm(file);
    await expect(readRunResult(dir)).rejects.toThrow(`${file}: no such file`);
  });

  it('keeps a step\'s exit status and output, and reads steps written before they were kept', async () => {
    const run = sampleRun();
    const old = run.cases[0]!.steps![0]!;
    run.cases[1]!.steps = [{ index: 2, kind: 'shell', location: 'suites/hwpoison.yaml:20:9', status: 'failed', summary: '`false` exited 1', durationMs: 12, exit: 1, stdout: 'a\n', stderr: 'b\n' }];
    run.cases[2]!.steps = [{ ...old, kind: 'shell', exit: null }];
    await fs.writeFile(file, JSON.stringify(run));
    const read = await readRunResult(dir);
    expect(read).toEqual(run);
    expect(read.cases[0]!.steps![0]).not.toHaveProperty('stdout');
    run.cases[1]!.steps[0]!.exit = 1.5;
    expect(await problem(JSON.stringify(run))).toContain('cases[1].steps[0].exit');
  });

  it('accepts fields it does not know (a newer harness), dropping them', async () => {
    await fs.writeFile(file, JSON.stringify({ ...sampleRun(), futureField: 1 }));
    expect(await readRunResult(dir)).not.toHaveProperty('futureField');
  });
});
