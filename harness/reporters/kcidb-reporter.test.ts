import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordedRun } from '../compare/testing/recorded-runs.ts';
import { HarnessError } from '../util/errors.ts';
import { createReporters } from './create-reporters.ts';
import { buildKcidb, kcidbStatus, pathNode, type KcidbData } from './kcidb-format.ts';
import { createKcidbReporter, KCIDB_FILE } from './kcidb-reporter.ts';
import { replayToReporters } from './replay.ts';
import { kcidbV4Schema } from './testing/kcidb-v4-schema.ts';
import { makeCase, sampleRun } from './testing/sample-run.ts';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'memharness-kcidb-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** The schema's own checks, plus the links kcidb resolves: every build's checkout and test's build exists, ids are unique. */
function expectValid(data: KcidbData): void {
  const parsed = kcidbV4Schema.safeParse(data);
  expect(parsed.success, parsed.success ? '' : JSON.stringify(parsed.error.issues, null, 2)).toBe(true);
  const checkouts = new Set(data.checkouts.map((checkout) => checkout.id));
  const builds = new Set(data.builds.map((build) => build.id));
  for (const build of data.builds) expect(checkouts.has(build.checkout_id), build.id).toBe(true);
  for (const test of data.tests) expect(builds.has(test.build_id), test.id).toBe(true);
  expect(new Set(data.tests.map((test) => test.id)).size).toBe(data.tests.length);
}

describe('buildKcidb', () => {
  it('turns a recorded 6.1 run into a valid kcidb v4 submission, each verdict with its status', async () => {
    const { run } = await recordedRun('fixture61');
    const data = buildKcidb(run, { origin: 'memharness', runDir: '/srv/runs/r1', artifactsUrl: 'https://ci.example.org/nightly/r1' });
    expectValid(data);
    expect(data.version).toEqual({ major: 4, minor: 2 });
    expect(data.checkouts).toEqual([
      {
        id: 'memharness:debian-6.1.0-47-amd64-unsigned',
        origin: 'memharness',
        tree_name: 'debian',
        comment: 'linux-image-6.1.0-47-amd64-unsigned 6.1.170-3',
        valid: true,
        misc: { release: '6.1.0-47-amd64', upstream_version: '6.1.170', debian_package: 'linux-image-6.1.0-47-amd64-unsigned', debian_version: '6.1.170-3' },
      },
    ]);
    expect(data.builds).toMatchObject([{ id: 'memharness:debian-6.1.0-47-amd64-unsigned', checkout_id: 'memharness:debian-6.1.0-47-amd64-unsigned', architecture: 'x86_64' }]);
    const byPath = Object.fromEntries(data.tests.map((test) => [test.path, test]));
    expect(Object.fromEntries(data.tests.map((test) => [test.path, test.status]))).toEqual({
      memharness: 'FAIL',
      'memharness.compare-fixture.soft-offline-sysctl': 'SKIP',
      'memharness.compare-fixture.steady': 'PASS',
      'memharness.compare-fixture.broken': 'FAIL',
      'memharness.compare-fixture.sigbus-inside-madvise': 'FAIL',
      'memharness.compare-fixture.panics-before-6_12': 'FAIL',
      'memharness.compare-fixture.coin-flip': 'FAIL',
      'memharness.compare-fixture.infra-before-6_12': 'ERROR',
    });
    const root = byPath.memharness!;
    expect(root).toMatchObject({ id: `memharness:${run.runId}:debian-6.1.0-47-amd64-unsigned`, start_time: run.startedAt, misc: { complete: true, cases: 7 } });
    expect(root.duration).toBeCloseTo((Date.parse(run.endedAt!) - Date.parse(run.startedAt)) / 1000);
    const panic = byPath['memharness.compare-fixture.panics-before-6_12']!;
    expect(panic.id).toBe(`memharness:${run.runId}:debian-6.1.0-47-amd64-unsigned:compare-fixture/panics-before-6.12`);
    expect(panic.log_url).toBe('https://ci.example.org/nightly/r1/cases/004-compare-fixture_panics-before-6.12/attempt-3/console.log');
    expect(panic.output_files).toEqual([{ name: 'dmesg.txt', url: 'https://ci.example.org/nightly/r1/cases/004-compare-fixture_panics-before-6.12/attempt-3/dmesg.txt' }]);
    expect(panic.log_excerpt).toMatch(/kernel crash \(panic\): kernel panic: sysrq triggered crash/);
    expect(panic.misc).toMatchObject({ verdict: 'crashed', crash_title: 'kernel panic: sysrq triggered crash', attempts: [{ attempt: 1 }, { attempt: 2 }, { attempt: 3 }] });
    expect(panic.duration).toBeGreaterThan(0);
    expect(byPath['memharness.compare-fixture.soft-offline-sysctl']!.log_excerpt).toMatch(/^needs enable-soft-offline-sysctl/);
  });

  it('names artifacts by file:// URL when the run directory is not published', async () => {
    const { run } = await recordedRun('fixture612');
    const data = buildKcidb(run, { origin: 'memharness', runDir: '/srv/runs/r2' });
    expectValid(data);
    const steady = data.tests.find((test) => test.path === 'memharness.compare-fixture.steady')!;
    expect(steady.log_url).toMatch(/^file:\/\/\/srv\/runs\/r2\/cases\/\d{3}-compare-fixture_steady\/attempt-1\/console\.log$/);
    const flaky = data.tests.find((test) => test.path === 'memharness.compare-fixture.coin-flip')!;
    expect(flaky).toMatchObject({ status: 'PASS', misc: { verdict: 'flaky' } });
    expect(data.tests[0]).toMatchObject({ path: 'memharness', status: 'FAIL' });
  });

  it('xfail is a waived FAIL, a case a stop left unrun is MISS, and an interrupted run is valid too', async () => {
    const stop = 'not run: --max-failures 1 reached';
    const run = sampleRun({ stopReason: stop, cases: [...sampleRun().cases, makeCase('skipped', { key: 'hwpoison/unrun', skipReason: stop, attempts: [] })] });
    const data = buildKcidb(run, { origin: 'ci_lab_1', runDir: dir });
    expectValid(data);
    const statuses = data.tests.filter((test) => test.path !== 'memharness').map((test) => [test.misc?.verdict, test.status, test.waived ?? false]);
    expect(statuses).toEqual(
      expect.arrayContaining([
        ['passed', 'PASS', false],
        ['failed', 'FAIL', false],
        ['xfail', 'FAIL', true],
        ['xpass', 'FAIL', false],
        ['skipped', 'SKIP', false],
        ['crashed', 'FAIL', false],
        ['infra-error', 'ERROR', false],
        ['flaky', 'PASS', false],
        ['skipped', 'MISS', false],
      ]),
    );
    expect(kcidbStatus(makeCase('skipped', { skipReason: 'needs x' }), stop)).toEqual({ status: 'SKIP' });
    // Two kernels: a checkout, a build and a summary test each.
    expect(data.builds).toHaveLength(2);
    expect(data.tests.filter((test) => test.path === 'memharness')).toHaveLength(2);

    const interrupted = (await recordedRun('fixture612Interrupted')).run;
    const partial = buildKcidb(interrupted, { origin: 'memharness', runDir: dir });
    expectValid(partial);
    expect(partial.tests[0]).toMatchObject({ path: 'memharness', status: 'PASS', misc: { complete: false, interrupted: true, cases: 1 } });
    expect(buildKcidb({ ...interrupted, cases: [] }, { origin: 'memharness', runDir: dir }).tests[0]?.status).toBe('MISS');
  });

  it('makes path nodes of anything', () => {
    expect(pathNode('panics-before-6.12')).toBe('panics-before-6_12');
    expect(pathNode('a/b?c=d')).toBe('a_b_c_d');
    expect(pathNode('')).toBe('_');
  });
});

describe('the kcidb v4 schema (zod, from kcidb-io)', () => {
  it('refuses what kcidb refuses', async () => {
    const data = buildKcidb((await recordedRun('fixture612')).run, { origin: 'memharness', runDir: dir });
    const broken = (change: (copy: Record<string, any>) => void) => {
      const copy = structuredClone(data) as unknown as Record<string, any>;
      change(copy);
      return kcidbV4Schema.safeParse(copy).success;
    };
    expect(broken(() => {})).toBe(true);
    expect(broken((copy) => (copy.tests[1].status = 'PASSED'))).toBe(false);
    expect(broken((copy) => (copy.tests[1].id = 'no-origin'))).toBe(false);
    expect(broken((copy) => (copy.tests[1].path = 'a/b'))).toBe(false);
    expect(broken((copy) => (copy.tests[1].verdict = 'passed'))).toBe(false);
    expect(broken((copy) => (copy.tests[1].log_url = 'not a url'))).toBe(false);
    expect(broken((copy) => (copy.tests[1].output_files = [{ name: 'a/b', url: 'https://x/y' }]))).toBe(false);
    expect(broken((copy) => (copy.builds[0].architecture = 'x86-64'))).toBe(false);
    expect(broken((copy) => (copy.version = { major: 5, minor: 0 }))).toBe(false);
    expect(broken((copy) => (copy.tests[1].comment = null))).toBe(false);
  });
});

describe('the kcidb reporter', () => {
  it('writes kcidb.json when asked, from a replayed run', async () => {
    const { run } = await recordedRun('fixture61');
    const reporters = createReporters(['kcidb'], { outputDir: dir, stdout: { write: () => {} }, isTTY: false });
    expect(reporters.reporters.map((reporter) => reporter.name)).toEqual(['json', 'kcidb']);
    await replayToReporters(run, reporters);
    expect(reporters.failures).toEqual([]);
    const written = JSON.parse(await fs.readFile(path.join(dir, KCIDB_FILE), 'utf8')) as KcidbData;
    expectValid(written);
    expect(written.tests).toHaveLength(8);
    expect(written.tests.find((test) => test.path === 'memharness.compare-fixture.steady')?.log_url).toBe(
      `file://${dir}/cases/${run.cases.find((c) => c.caseId === 'steady')!.artifacts.console!.replace(/^cases\//, '')}`,
    );
  });

  it('refuses an origin or artifacts URL kcidb would not take', () => {
    expect(() => createKcidbReporter({ outputDir: dir, origin: 'Mem-Harness' })).toThrow(HarnessError);
    expect(() => createKcidbReporter({ outputDir: dir, origin: 'Mem-Harness' })).toThrow('kcidb origin "Mem-Harness" is not one kcidb accepts');
    expect(() => createKcidbReporter({ outputDir: dir, artifactsUrl: 'ci/runs' })).toThrow('is not a URL');
    expect(createKcidbReporter({ outputDir: dir, origin: 'memharness_nightly' }).name).toBe('kcidb');
  });
});
