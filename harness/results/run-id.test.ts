import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRunDir, latestRunId, listRunIds, pruneRuns, resolveRunDir } from './run-dirs.ts';
import { compareRunIds, isRunId, newRunId, runIdDate } from './run-id.ts';

describe('run ids', () => {
  it('are the UTC start time and a random suffix, usable as file names', () => {
    const id = newRunId(new Date('2026-11-22T03:25:00.789Z'), 'a3f9');
    expect(id).toBe('2026-11-22T03-25-00Z-a3f9');
    expect(isRunId(id)).toBe(true);
    expect(runIdDate(id)?.toISOString()).toBe('2026-11-22T03:25:00.000Z');
    expect(isRunId(newRunId())).toBe(true);
    expect(isRunId('2026-11-22T03:25:00Z-a3f9')).toBe(false);
    expect(() => newRunId(new Date(), 'XYZ!')).toThrow();
  });

  it('sort as strings in start-time order', () => {
    const dates = ['2027-01-01T00:00:00Z', '2026-11-22T03:25:00Z', '2026-11-22T03:24:59Z', '2026-02-01T10:00:00Z'];
    const ids = dates.map((date, index) => newRunId(new Date(date), `000${index}`));
    const sorted = [...ids].sort(compareRunIds);
    expect(sorted.map((id) => runIdDate(id)!.getTime())).toEqual([...dates].map((date) => Date.parse(date)).sort((a, b) => a - b));
  });
});

describe('run directories', () => {
  let root: string;
  beforeEach(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'memharness-runs-'));
  });
  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it('finds the latest run that has results, ignoring other directories', async () => {
    expect(await latestRunId(root)).toBeNull();
    const older = await createRunDir(root, new Date('2026-11-22T03:25:00Z'));
    const newer = await createRunDir(root, new Date('2026-11-23T00:00:00Z'));
    const empty = await createRunDir(root, new Date('2026-11-24T00:00:00Z'));
    await fs.mkdir(path.join(root, 'not-a-run'));
    for (const run of [older, newer]) await fs.writeFile(path.join(run.dir, 'results.json'), '{}');
    expect(await listRunIds(root)).toEqual([older.runId, newer.runId]);
    expect(await latestRunId(root)).toBe(newer.runId);
    expect(await resolveRunDir('latest', root)).toBe(newer.dir);
    expect(await resolveRunDir(older.runId, root)).toBe(older.dir);
    expect(await resolveRunDir(path.join(empty.dir, 'results.json'), root)).toBe(empty.dir);
  });

  it('never hands two runs started in the same second the same directory', async () => {
    const now = new Date('2026-11-22T03:25:00Z');
    const dirs = await Promise.all(Array.from({ length: 20 }, () => createRunDir(root, now)));
    expect(new Set(dirs.map((run) => run.dir)).size).toBe(20);
  });

  it('says so when there is no run to be the latest', async () => {
    await expect(resolveRunDir('latest', root)).rejects.toThrow(`no runs under ${root}`);
  });

  it('--keep N removes the oldest runs, never a protected one nor a directory that is not a run', async () => {
    const runs = [];
    for (let day = 10; day < 15; day++) runs.push(await createRunDir(root, new Date(`2026-11-${day}T00:00:00Z`)));
    await fs.mkdir(path.join(root, 'mine'));
    const removed = await pruneRuns(2, { resultsRoot: root, protect: [runs[0]!.dir] });
    expect(removed).toEqual([runs[1]!.runId, runs[2]!.runId]);
    expect((await fs.readdir(root)).sort()).toEqual([runs[0]!.runId, runs[3]!.runId, runs[4]!.runId, 'mine'].sort());
    expect(await pruneRuns(10, { resultsRoot: path.join(root, 'absent') })).toEqual([]);
  });
});
