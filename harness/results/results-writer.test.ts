import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeCase, sampleRun } from '../reporters/testing/sample-run.ts';
import { HarnessError } from '../util/errors.ts';
import { readRunResult } from './read-run-result.ts';
import { formatResultsJson, ResultsWriter } from './results-writer.ts';

let dir: string;

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'memharness-results-'));
});

afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('ResultsWriter', () => {
  it('keeps results.json valid and current after every case, incomplete until the end', async () => {
    const full = sampleRun();
    const writer = new ResultsWriter(dir);
    await writer.begin({ ...full, cases: [] });
    let read = await readRunResult(dir);
    expect(read).toMatchObject({ complete: false, endedAt: null, cases: [] });
    for (const [index, result] of full.cases.entries()) {
      await writer.addCase(result);
      read = await readRunResult(dir);
      expect(read.complete).toBe(false);
      expect(read.cases).toHaveLength(index + 1);
      expect(read.cases.at(-1)).toEqual(result);
    }
    await writer.finish(full);
    expect(await readRunResult(dir)).toEqual(full);
    // Nothing is left behind but the file itself.
    expect(await fs.readdir(dir)).toEqual(['results.json']);
  });

  it('writes one case per line after the indented metadata', () => {
    const run = sampleRun();
    const { cases, ...head } = run;
    const text = formatResultsJson(head, cases.map((result) => JSON.stringify(result)));
    expect(JSON.parse(text)).toEqual(run);
    expect(text.split('\n').filter((line) => line.startsWith('{"key":'))).toHaveLength(cases.length);
    expect(JSON.parse(formatResultsJson(head, []))).toEqual({ ...run, cases: [] });
  });

  it('lands queued writes in order, and keeps going after a failed one', async () => {
    const writer = new ResultsWriter(dir);
    await writer.begin(sampleRun({ cases: [] }));
    const writes = Array.from({ length: 10 }, (_, index) => writer.addCase(makeCase('passed', { key: `k${index}` })));
    await Promise.all(writes);
    expect((await readRunResult(dir)).cases.map((result) => result.key)).toEqual(Array.from({ length: 10 }, (_, index) => `k${index}`));

    await fs.rm(dir, { recursive: true });
    await expect(writer.addCase(makeCase('failed', { key: 'lost-write' }))).rejects.toThrow(/ENOENT/);
    await fs.mkdir(dir);
    await writer.addCase(makeCase('passed', { key: 'after' }));
    expect((await readRunResult(dir)).cases.map((result) => result.key).slice(-2)).toEqual(['lost-write', 'after']);
  });

  it('writes a run error at once, keeps one reported before begin, and the final run is the authority', async () => {
    const writer = new ResultsWriter(dir);
    await writer.addError({ message: 'preparing the guest failed: no /dev/kvm' });
    await writer.begin(sampleRun({ cases: [], errors: [] }));
    expect((await readRunResult(dir)).errors).toEqual([{ message: 'preparing the guest failed: no /dev/kvm' }]);
    await writer.addError({ message: 'cases: expected a list', location: 'suites/bad.yaml:2:8' });
    const read = await readRunResult(dir);
    expect(read.errors).toEqual([{ message: 'preparing the guest failed: no /dev/kvm' }, { message: 'cases: expected a list', location: 'suites/bad.yaml:2:8' }]);
    expect(read.complete).toBe(false);
    await writer.finish(sampleRun({ errors: [{ message: 'the one the run kept' }] }));
    expect((await readRunResult(dir)).errors).toEqual([{ message: 'the one the run kept' }]);
  });

  it('reads results written before run errors and recoveries were kept', async () => {
    const old = sampleRun();
    expect(old.errors).toBeUndefined();
    await fs.writeFile(path.join(dir, 'results.json'), JSON.stringify(old));
    const read = await readRunResult(dir);
    expect(read.errors).toBeUndefined();
    expect(read.cases.flatMap((result) => result.attempts).every((attempt) => attempt.recoveries === undefined)).toBe(true);
  });

  it('refuses a case before begin', async () => {
    await expect(new ResultsWriter(dir).addCase(makeCase('passed'))).rejects.toThrow(/before begin/);
  });

  it('leaves a valid results.json when the process is killed at any moment', { timeout: 60_000 }, async () => {
    const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'testing', 'write-until-killed.ts');
    for (const killAfterCases of [3, 17, 40]) {
      const runDir = path.join(dir, `run-${killAfterCases}`);
      await fs.mkdir(runDir);
      const child = spawn(process.execPath, ['--import', 'tsx', script, runDir], { stdio: ['ignore', 'pipe', 'pipe'] });
      let acknowledged = 0;
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
      let reads = 0;
      // Read concurrently with the writes: every read must see a whole file.
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          acknowledged = Number(chunk.toString().trim().split('\n').at(-1));
          if (acknowledged >= killAfterCases) {
            child.kill('SIGKILL');
            resolve();
          }
        });
        child.on('exit', (code) => (code === null ? resolve() : reject(new Error(`writer exited ${code}: ${stderr}`))));
        const poll = async () => {
          while (child.exitCode === null && child.signalCode === null) {
            try {
              const run = await readRunResult(runDir);
              expect(run.complete).toBe(false);
              reads++;
            } catch (error) {
              if (!(error instanceof HarnessError && /no such file/.test(error.message))) {
                child.kill('SIGKILL');
                return reject(error);
              }
            }
          }
        };
        void poll();
      });
      await exited;
      const final = await readRunResult(runDir);
      expect(final.complete).toBe(false);
      expect(final.cases.length).toBeGreaterThanOrEqual(acknowledged);
      expect(final.cases.map((result) => result.caseId).slice(0, acknowledged)).toEqual(
        Array.from({ length: acknowledged }, (_, index) => `case-${index}`),
      );
      expect(reads).toBeGreaterThan(0);
    }
  });
});
