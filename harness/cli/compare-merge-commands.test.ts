import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ComparisonJson } from '../compare/comparison-json.ts';
import { FIXTURES_DIR, RECORDED } from '../compare/testing/recorded-runs.ts';
import { readRunResult } from '../results/read-run-result.ts';
import { projectRoot } from '../util/paths.ts';

// `memharness compare` and `merge` as a user runs them, on results recorded from real guests
// (harness/compare/fixtures/README.md). No guest boots here.
const cli = path.join(projectRoot, 'harness/bin/memharness.js');
const fixture = (name: keyof typeof RECORDED) => path.join(FIXTURES_DIR, RECORDED[name]);
let tmp: string;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'memharness-compare-cli-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

async function memharness(args: string[]) {
  const result = await execa('node', [cli, ...args], { cwd: projectRoot, reject: false, timeout: 60_000 });
  return { exitCode: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** A run directory holding a copy of a recorded results file. */
async function runDir(name: keyof typeof RECORDED): Promise<string> {
  const dir = await fs.mkdtemp(path.join(tmp, `${name}-`));
  await fs.copyFile(fixture(name), path.join(dir, 'results.json'));
  return dir;
}

// Each test starts the CLI (tsx compiling on the fly) once or twice: seconds on a loaded host.
describe('memharness compare', { timeout: 60_000 }, () => {
  it('exits 1 on a regression, prints the short summary and writes compare.json and compare.md into NEW by default', async () => {
    const oldDir = await runDir('fixture612');
    const newDir = await runDir('fixture61');
    const result = await memharness(['compare', oldDir, newDir]);
    expect(result.exitCode, result.stderr).toBe(1);
    expect(result.stdout).toMatch(/^memharness compare: 1 new failure, 1 new crash, /);
    expect(result.stdout).toContain('New crashes (1):\n  compare-fixture/panics-before-6.12 [6.1.0-47-amd64]: passed → crashed: kernel panic: sysrq triggered crash');
    expect(result.stdout).toContain(path.join(newDir, 'compare.md'));
    const json = JSON.parse(await fs.readFile(path.join(newDir, 'compare.json'), 'utf8')) as ComparisonJson;
    expect(json).toMatchObject({ schemaVersion: 1, exitCode: 1, regressed: true, old: { file: path.join(oldDir, 'results.json') } });
    expect(await fs.readFile(path.join(newDir, 'compare.md'), 'utf8')).toMatch(/^# memharness compare: Regressed\n/);
  });

  it('exits 0 without a regression; takes results files under any name; --output elsewhere', async () => {
    const output = path.join(tmp, 'out-fixed');
    const result = await memharness(['compare', fixture('fixture61'), fixture('fixture612'), '--output', output]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout.split('\n')[0]).toBe('memharness compare: 2 fixed, 1 still failing, 1 flaky, 1 skip changed, 2 unchanged');
    expect((await fs.readdir(output)).sort()).toEqual(['compare.json', 'compare.md']);
  });

  it('compares an interrupted run cleanly: the cases it did not reach are missing', async () => {
    const output = path.join(tmp, 'out-missing');
    const result = await memharness(['compare', fixture('fixture612'), fixture('fixture612Interrupted'), '-o', output]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^memharness compare: 6 missing, 1 unchanged\n/);
    expect(result.stdout).toContain('note: NEW is incomplete: the run was interrupted');
  });

  it('exits 2 naming the file on bad input: a directory without results.json, an invalid file', async () => {
    const empty = await fs.mkdtemp(path.join(tmp, 'empty-'));
    const missing = await memharness(['compare', empty, fixture('fixture61')]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain(`memharness: ${empty}/results.json: no such file`);

    const bad = path.join(tmp, 'bad.json');
    const run = JSON.parse(await fs.readFile(fixture('fixture61'), 'utf8')) as { cases: Array<Record<string, unknown>> };
    run.cases[2]!.verdict = 'exploded';
    await fs.writeFile(bad, JSON.stringify(run));
    const invalid = await memharness(['compare', fixture('fixture61'), bad]);
    expect(invalid.exitCode).toBe(2);
    expect(invalid.stderr).toContain(`memharness: ${bad} is not a valid results file:\n${bad}: cases[2].verdict: Invalid option`);
    await expect(fs.access(path.join(tmp, 'compare.json'))).rejects.toThrow();
  });
});

describe('memharness merge', { timeout: 60_000 }, () => {
  it('merges runs into one directory, re-makes the reports, and points at the runs\' artifacts', async () => {
    const first = await runDir('fixture61');
    const second = await runDir('fixture612');
    const output = path.join(tmp, 'merged');
    const result = await memharness(['merge', first, second, '--output', output, '--reporter', 'junit,ktap,html,kcidb']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect((await fs.readdir(output)).sort()).toEqual(['junit.xml', 'kcidb.json', 'report.html', 'results.json', 'results.ktap']);
    const merged = await readRunResult(output);
    expect(merged.kernels.map((kernel) => kernel.release)).toEqual(['6.1.0-47-amd64', '6.12.117+deb12-amd64']);
    expect(merged.cases).toHaveLength(14);
    expect(merged.complete).toBe(true);
    const console61 = merged.cases.find((c) => c.caseId === 'steady' && c.kernel.release === '6.1.0-47-amd64')!.artifacts.console!;
    expect(console61).toMatch(new RegExp(`^\\.\\./${path.basename(first)}/cases/\\d{3}-compare-fixture_steady/attempt-1/console\\.log$`));
    expect(XMLValidator.validate(await fs.readFile(path.join(output, 'junit.xml'), 'utf8'))).toBe(true);
    expect(await fs.readFile(path.join(output, 'results.ktap'), 'utf8')).toMatch(/^KTAP version 1\n1\.\.2\n/);

    // The merged directory is a run like any other: compare reads it. The 6.1 cases have no
    // baseline (new cases), but a crash never seen in OLD is still reported.
    const compared = await memharness(['compare', fixture('fixture612'), output, '-o', path.join(tmp, 'merged-compare')]);
    expect(compared.exitCode, compared.stderr).toBe(1);
    expect(compared.stdout).toMatch(/^memharness compare: 1 new crash, 1 still failing, 1 flaky, 6 new cases, 5 unchanged\n/);
    expect(compared.stdout).toContain('note: kernel 6.1.0-47-amd64 is only in NEW');
    expect(compared.stdout).toContain('compare-fixture/panics-before-6.12 [6.1.0-47-amd64]: new case (kernel 6.1.0-47-amd64 is not in OLD), crashed: kernel panic: sysrq triggered crash');
  });

  it('exits 2 when the same run is given twice or the output already holds a run', async () => {
    const first = await runDir('fixture61');
    const twice = await memharness(['merge', first, fixture('fixture61'), '--output', path.join(tmp, 'twice')]);
    expect(twice.exitCode).toBe(2);
    expect(twice.stderr).toMatch(/cannot merge runs: run \S+ given twice/);
    const occupied = await memharness(['merge', fixture('fixture612'), '--output', first]);
    expect(occupied.exitCode).toBe(2);
    expect(occupied.stderr).toContain(`${path.join(first, 'results.json')} exists: merge writes a new run directory`);
  });
});
