import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sampleRun } from '../reporters/testing/sample-run.ts';
import { HarnessError } from '../util/errors.ts';
import { loadRunRef } from './load-run-ref.ts';

let root: string;
beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'memharness-load-ref-'));
});
afterEach(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

async function usageError(ref: string, resultsRoot = root): Promise<HarnessError> {
  const error = await loadRunRef(ref, resultsRoot).then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(HarnessError);
  expect((error as HarnessError).kind).toBe('usage');
  return error as HarnessError;
}

describe('loadRunRef', () => {
  it('reads a run directory, its results.json, a results file under another name, latest and a run id', async () => {
    const run = sampleRun();
    const runDir = path.join(root, run.runId);
    await fs.mkdir(runDir);
    await fs.writeFile(path.join(runDir, 'results.json'), JSON.stringify(run));
    const baseline = path.join(root, '6.1-baseline.json');
    await fs.writeFile(baseline, JSON.stringify(run));
    for (const ref of [runDir, path.join(runDir, 'results.json')]) {
      expect(await loadRunRef(ref, root)).toEqual({ run, ref, file: path.join(runDir, 'results.json'), dir: runDir });
    }
    expect(await loadRunRef(baseline, root)).toMatchObject({ file: baseline, dir: root });
    expect((await loadRunRef('latest', root)).file).toBe(path.join(runDir, 'results.json'));
    expect((await loadRunRef(run.runId, root)).dir).toBe(runDir);
  });

  it('names the file and what is wrong with it', async () => {
    const empty = path.join(root, 'empty');
    await fs.mkdir(empty);
    expect((await usageError(empty)).message).toBe(`${empty}/results.json: no such file`);
    expect((await usageError(path.join(root, 'nowhere'))).message).toBe(`${path.join(root, 'nowhere')}: no such file or directory`);
    const bad = path.join(root, 'bad.json');
    await fs.writeFile(bad, JSON.stringify({ ...sampleRun(), cases: [{ ...sampleRun().cases[0], verdict: 'exploded' }] }));
    expect((await usageError(bad)).message).toMatch(new RegExp(`^${bad} is not a valid results file:\\n${bad}: cases\\[0\\]\\.verdict: Invalid option`));
    expect((await usageError('latest')).message).toBe(`no runs under ${root}`);
  });
});
