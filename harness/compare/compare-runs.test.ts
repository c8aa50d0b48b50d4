import { describe, expect, it } from 'vitest';
import { compareExitCode, type Comparison } from './comparison.ts';
import { compareRuns } from './compare-runs.ts';
import { recordedRun } from './testing/recorded-runs.ts';

// Every run here was recorded from real guests (fixtures/README.md): compare-fixture.yaml on
// Debian 6.1.0-47 and 6.12.117, the same suite repeated and interrupted, and the runner's
// self-test with hwpoison-basic and soft-offline-basic on both kernels.

function categories(comparison: Comparison): Record<string, string> {
  return Object.fromEntries(comparison.cases.map((entry) => [entry.key, entry.category]));
}

function reasonOf(comparison: Comparison, key: string): string {
  return comparison.cases.find((entry) => entry.key === key)!.reason;
}

describe('compareRuns on recorded runs', () => {
  it('6.1 baseline against a 6.12 run: matched across kernels, said so, and the 6.12 behaviour fixes the 6.12-only cases', async () => {
    const comparison = compareRuns(await recordedRun('fixture61'), await recordedRun('fixture612'));
    expect(comparison.kernelPairs).toHaveLength(1);
    expect(comparison.kernelPairs[0]).toMatchObject({ old: { release: '6.1.0-47-amd64' }, new: { release: '6.12.117+deb12-amd64' }, match: 'only-kernels' });
    expect(comparison.notes).toEqual([
      'different kernels: the cases of 6.1.0-47-amd64 (OLD) are compared with the same cases on 6.12.117+deb12-amd64 (NEW)',
    ]);
    expect(categories(comparison)).toEqual({
      'compare-fixture/steady': 'unchanged',
      'compare-fixture/sigbus-inside-madvise': 'fixed',
      'compare-fixture/panics-before-6.12': 'fixed',
      'compare-fixture/broken': 'still-failing',
      'compare-fixture/infra-before-6.12': 'unchanged',
      'compare-fixture/soft-offline-sysctl': 'skipped-changed',
      'compare-fixture/coin-flip': 'flaky',
    });
    expect(reasonOf(comparison, 'compare-fixture/coin-flip')).toBe('failed → flaky');
    expect(reasonOf(comparison, 'compare-fixture/soft-offline-sysctl')).toBe(
      'skipped → passed (skipped before: needs enable-soft-offline-sysctl, which 6.1.0-47-amd64 does not have (case requires))',
    );
    expect(comparison.regressed).toBe(false);
    expect(compareExitCode(comparison)).toBe(0);
  });

  it('6.12 baseline against a 6.1 run: the version-dependent cases regress, the panic is a new crash, the broken set-up is infra', async () => {
    const comparison = compareRuns(await recordedRun('fixture612'), await recordedRun('fixture61'));
    expect(categories(comparison)).toEqual({
      'compare-fixture/soft-offline-sysctl': 'skipped-changed',
      'compare-fixture/steady': 'unchanged',
      'compare-fixture/broken': 'still-failing',
      'compare-fixture/sigbus-inside-madvise': 'new-failure',
      'compare-fixture/panics-before-6.12': 'new-crash',
      'compare-fixture/coin-flip': 'flaky',
      'compare-fixture/infra-before-6.12': 'infra',
    });
    expect(comparison.counts).toMatchObject({ 'new-failure': 1, 'new-crash': 1, 'still-failing': 1, flaky: 1, infra: 1, 'skipped-changed': 1, unchanged: 1 });
    const sigbus = comparison.cases.find((entry) => entry.key === 'compare-fixture/sigbus-inside-madvise')!;
    expect(sigbus.reason).toBe('passed → failed');
    expect(sigbus.new?.firstLine).toMatch(/^harness\/compare\/fixtures\/compare-fixture\.yaml:37:9: step inject: expected SIGBUS BUS_MCEERR_AR at \$t0\.vaddr=0x[0-9a-f]+, got none/);
    expect(reasonOf(comparison, 'compare-fixture/panics-before-6.12')).toBe('passed → crashed: kernel panic: sysrq triggered crash');
    expect(reasonOf(comparison, 'compare-fixture/coin-flip')).toBe('flaky → failed (flaky in OLD already)');
    expect(reasonOf(comparison, 'compare-fixture/infra-before-6.12')).toMatch(/^passed → infra-error/);
    expect(comparison.regressed).toBe(true);
    expect(compareExitCode(comparison)).toBe(1);
  });

  it('a run interrupted after its first case: the rest are missing, not removed', async () => {
    const comparison = compareRuns(await recordedRun('fixture612'), await recordedRun('fixture612Interrupted'));
    expect(comparison.new).toMatchObject({ complete: false, interrupted: true, cases: 1 });
    expect(comparison.kernelPairs[0]?.match).toBe('same-id');
    expect(comparison.counts).toMatchObject({ unchanged: 1, missing: 6, removed: 0 });
    expect(reasonOf(comparison, 'compare-fixture/broken')).toBe('was failed; not run: the run was interrupted');
    expect(comparison.notes).toEqual(['NEW is incomplete: the run was interrupted; cases it did not run are listed as missing, not removed']);
    expect(comparison.regressed).toBe(false);
    // Against a baseline on another kernel too.
    const across = compareRuns(await recordedRun('fixture61'), await recordedRun('fixture612Interrupted'));
    expect(across.counts).toMatchObject({ missing: 6, unchanged: 1 });
    expect(across.notes).toHaveLength(2);
  });

  it('repeats that disagree are flaky; a complete run that filtered cases out removed them, and back they are new', async () => {
    const comparison = compareRuns(await recordedRun('fixture612'), await recordedRun('fixture612Repeat'));
    expect(categories(comparison)).toEqual({
      'compare-fixture/steady': 'unchanged',
      'compare-fixture/coin-flip': 'flaky',
      'compare-fixture/sigbus-inside-madvise': 'removed',
      'compare-fixture/panics-before-6.12': 'removed',
      'compare-fixture/broken': 'removed',
      'compare-fixture/infra-before-6.12': 'removed',
      'compare-fixture/soft-offline-sysctl': 'removed',
    });
    expect(reasonOf(comparison, 'compare-fixture/coin-flip')).toBe('flaky → passed, failed, passed');
    expect(reasonOf(comparison, 'compare-fixture/steady')).toBe('passed → passed ×3');
    expect(reasonOf(comparison, 'compare-fixture/broken')).toBe('was failed; not in NEW although its suite file is unchanged (filtered out by --grep/--tag?)');
    const back = compareRuns(await recordedRun('fixture612Repeat'), await recordedRun('fixture612'));
    expect(back.counts).toMatchObject({ 'new-case': 5, flaky: 1, unchanged: 1 });
    expect(back.regressed).toBe(false);
  });

  it('the self-test with hwpoison-basic on 6.1 and 6.12: version-dependent expectations hold on both, so only the deliberate failures show', async () => {
    const comparison = compareRuns(await recordedRun('selfTest61'), await recordedRun('selfTest612'));
    const moved = comparison.cases.filter((entry) => entry.category !== 'unchanged').map((entry) => [entry.key, entry.category]);
    expect(moved).toEqual([
      ['runner-self-test/panics', 'still-failing'],
      ['runner-self-test/wrong-expectation', 'still-failing'],
      ['soft-offline-basic/disabled-by-sysctl', 'skipped-changed'],
    ]);
    expect(comparison.cases.filter((entry) => entry.suite === 'hwpoison-basic').every((entry) => entry.category === 'unchanged')).toBe(true);
    expect(comparison.counts.unchanged).toBe(11);
  });

  it('a run against itself: nothing new, failures still failing, the broken set-up still infra', async () => {
    const run = await recordedRun('fixture61');
    const comparison = compareRuns(run, run);
    expect(comparison.counts).toMatchObject({ unchanged: 2, 'still-failing': 4, infra: 1 });
    expect(comparison.regressed).toBe(false);
    expect(comparison.notes).toEqual([]);
  });
});
