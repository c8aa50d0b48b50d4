import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DebianBuild } from '../kernel/debian-archive.ts';
import { parseRunResult } from '../results/read-run-result.ts';
import type { Verdict } from '../results/run-result.ts';
import { projectRoot } from '../util/paths.ts';
import { HarnessError } from '../util/errors.ts';
import { readBisectState, STATE_FILE, type BisectArgs, type BisectCandidate } from './bisect-state.ts';
import type { RoundOutcome } from './case-round.ts';
import { debianCandidates } from './debian-candidates.ts';
import { runDebianBisect, type DebianBisectOptions } from './debian-bisect.ts';
import { renderDebianReport, resultLines } from './debian-report.ts';
import { runRecordOf, type RunRecord } from './run-classification.ts';

// The plain amd64 6.1 builds and versions `apt-cache show` gave on this machine.
const VERSIONS: Array<[string, string]> = [
  ['6.1.0-47', '6.1.170-3'],
  ['6.1.0-48', '6.1.172-1'],
  ['6.1.0-49', '6.1.174-1'],
  ['6.1.0-50', '6.1.176-1'],
  ['6.1.0-51', '6.1.177-1'],
  ['6.1.0-52', '6.1.180-1'],
  ['6.1.0-53', '6.1.187-1'],
  ['6.1.0-54', '6.1.190-1'],
  ['6.1.0-55', '6.1.192-1'],
  ['6.1.0-56', '6.1.192-2'],
];
const CANDIDATES: BisectCandidate[] = VERSIONS.map(([abi, debianVersion]) => ({ abi, package: `linux-image-${abi}-amd64-unsigned`, debianVersion, upstreamVersion: debianVersion.replace(/-[^-]*$/, '') }));
const BUILDS: DebianBuild[] = CANDIDATES.map((c) => ({ abi: c.abi, series: '6.1', signed: null, unsigned: { package: c.package, abi: c.abi, signed: false, debianVersion: c.debianVersion, upstreamVersion: c.upstreamVersion, sourcePackage: 'linux', sha256: null, sizeBytes: null } }));

const ARGS: BisectArgs = { good: '6.1.0-47', bad: '6.1.0-56', case: 'hwpoison-basic/anon-madvise-sigbus', suiteFile: '/suites/hwpoison-basic.yaml', runs: 2, badThreshold: 1, fix: false };

/** A run as a verdict, a crash title, or the result of a case recorded on a real 6.1.0-47 guest (compare fixtures). */
type FakeRun = Verdict | { crashed: string } | { recorded: string };
type Behaviour = (abi: string, round: number) => FakeRun[] | 'interrupt';

const FIXTURE_61 = path.join(projectRoot, 'harness/compare/fixtures/compare-fixture-6.1.json');
const RECORDED = parseRunResult(JSON.parse(readFileSync(FIXTURE_61, 'utf8')), FIXTURE_61);

function fakeRun(item: FakeRun, repeatIndex: number): RunRecord {
  if (typeof item === 'string') return { repeatIndex, verdict: item };
  if ('crashed' in item) return { repeatIndex, verdict: 'crashed', crashTitle: item.crashed };
  const result = RECORDED.cases.find((c) => c.caseId === item.recorded);
  if (!result) throw new Error(`no case ${item.recorded} in ${FIXTURE_61}`);
  return { ...runRecordOf(result), repeatIndex };
}

/** A step runner that answers from a table instead of booting, and remembers what it was asked. */
function fakeRunner(behaviour: Behaviour) {
  const calls: Array<{ abi: string; round: number; dir: string }> = [];
  const runRound = async (build: BisectCandidate, round: number, dir: string): Promise<RoundOutcome> => {
    calls.push({ abi: build.abi, round, dir });
    const answer = behaviour(build.abi, round);
    if (answer === 'interrupt') return { interrupted: true };
    return { interrupted: false, runs: answer.map(fakeRun) };
  };
  return { calls, runRound };
}

/** Fails from `firstBad` on (in build order), passes before it. */
const regressionAt = (firstBad: string, runs = 2): Behaviour => (abi) => Array<Verdict>(runs).fill(abi >= firstBad ? 'failed' : 'passed');

let dir: string;
let log: string[];
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'memharness-bisect-test-'));
  log = [];
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

function options(runRound: DebianBisectOptions['runRound'], args: Partial<BisectArgs> = {}): DebianBisectOptions {
  return { args: { ...ARGS, ...args }, suiteSha256: 'sha', dir, candidates: async () => CANDIDATES, runRound, log: (line) => log.push(line) };
}

describe('runDebianBisect', () => {
  it('verifies the failing end first, then the good end, then halves the range down to the first bad build', async () => {
    const runner = fakeRunner(regressionAt('6.1.0-52'));
    const outcome = await runDebianBisect(options(runner.runRound));
    expect(outcome.kind).toBe('done');
    expect(outcome.state.result).toEqual({ lastOld: '6.1.0-51', firstNew: '6.1.0-52', suspects: ['6.1.0-52'] });
    expect(runner.calls.map((c) => c.abi)).toEqual(['6.1.0-56', '6.1.0-47', '6.1.0-51', '6.1.0-53', '6.1.0-52']);
    expect(runner.calls[0]!.dir).toBe(path.join(dir, 'steps', '01-6.1.0-56', 'round-1'));
    const saved = await readBisectState(dir);
    expect(saved?.steps.map((s) => [s.number, s.abi, s.role, s.decision, s.verdict])).toEqual([
      [1, '6.1.0-56', 'bad-end', 'failing', 'new'],
      [2, '6.1.0-47', 'good-end', 'passing', 'old'],
      [3, '6.1.0-51', 'search', 'passing', 'old'],
      [4, '6.1.0-53', 'search', 'failing', 'new'],
      [5, '6.1.0-52', 'search', 'failing', 'new'],
    ]);
    expect(resultLines(outcome.state)[0]).toBe('First bad build: 6.1.0-52: Debian 6.1.180-1, upstream 6.1.180 (linux-image-6.1.0-52-amd64-unsigned).');
    const report = renderDebianReport(outcome.state, null);
    expect(report).toContain('| 05 | 6.1.0-52 | 6.1.180-1 | 6.1.180 | search | round 1: failed ×2 | bad-like: 2 failing, 0 passing, 0 skip of 2 run(s) (bad-like at 1+ failing) |');
    expect(log).toContain('  round 1: failed, failed');
  });

  it('prints and reports, for each run, the first line of why it failed, crashed or was skipped', async () => {
    const truth = regressionAt('6.1.0-52');
    const runner = fakeRunner((abi, round) => {
      if (abi === '6.1.0-56') return [{ recorded: 'coin-flip' }, { recorded: 'panics-before-6.12' }];
      if (abi === '6.1.0-51') return [{ recorded: 'infra-before-6.12' }, { recorded: 'soft-offline-sysctl' }];
      if (abi === '6.1.0-53') return [{ recorded: 'broken' }, { recorded: 'broken' }];
      return truth(abi, round);
    });
    const outcome = await runDebianBisect(options(runner.runRound));
    expect(outcome.kind).toBe('done');
    const step = (abi: string) => {
      const start = log.findIndex((line) => line.startsWith('step ') && line.includes(` ${abi} `));
      return log.slice(start, log.findIndex((line, i) => i > start && line.startsWith('  →')) + 1);
    };
    expect(step('6.1.0-56')).toEqual([
      'step 01: 6.1.0-56 (Debian 6.1.192-2, upstream 6.1.192) (the bad end: must fail)',
      '  round 1: failed, crashed',
      '    run 1 failed: harness/compare/fixtures/compare-fixture.yaml:72:9: step shell: expected exit status 0, got 1',
      '    run 2 crashed: kernel panic: sysrq triggered crash',
      '  → bad-like: 2 failing, 0 passing, 0 skip of 2 run(s) (bad-like at 1+ failing)',
    ]);
    expect(step('6.1.0-51')).toEqual([
      'step 03: 6.1.0-51 (Debian 6.1.177-1, upstream 6.1.177) (search)',
      '  round 1: infra-error, skipped',
      "    run 1 infra-error: harness/compare/fixtures/compare-fixture.yaml:57:9: set-up step release failed: helper release t0: no target named 't0'",
      '    run 2 skipped: needs enable-soft-offline-sysctl, which 6.1.0-47-amd64 does not have (case requires)',
      '  → skip: 0 failing, 0 passing, 2 skip of 2 run(s): no run could tell',
    ]);
    // The same reason twice is said once.
    expect(step('6.1.0-53').slice(1, 3)).toEqual([
      '  round 1: failed, failed',
      "    runs 1, 2 failed: expected at least 1 kernel event 'memory-failure' with pfn=$t0.pfn=0x10000 result=Ignored; the kernel logged none matching; 'memory-failure' events it did log: Memory failure: 0x10000: recovery action for free buddy page: Recovered",
    ]);

    const report = renderDebianReport(outcome.state, null);
    expect(report).toContain(
      '| 01 | 6.1.0-56 | 6.1.192-2 | 6.1.192 | bad end | round 1: failed `harness/compare/fixtures/compare-fixture.yaml:72:9: step shell: expected exit status 0, got 1`, crashed `kernel panic: sysrq triggered crash` | bad-like: 2 failing, 0 passing, 0 skip of 2 run(s) (bad-like at 1+ failing) |',
    );
    expect(report).toContain(
      "| 03 | 6.1.0-51 | 6.1.177-1 | 6.1.177 | search | round 1: infra-error `harness/compare/fixtures/compare-fixture.yaml:57:9: set-up step release failed: helper release t0: no target named 't0'`, skipped `needs enable-soft-offline-sysctl, which 6.1.0-47-amd64 does not have (case requires)` | skip: 0 failing, 0 passing, 2 skip of 2 run(s): no run could tell |",
    );
    expect(report).toMatch(/\| round 1: failed ×2 `expected at least 1 kernel event 'memory-failure' [^`]*: Recovered` \|/);
    // bisect.json keeps them, for a resumed bisect's report.
    const saved = await readBisectState(dir);
    expect(saved?.steps[0]!.rounds[0]!.runs.map((run) => run.reason)).toEqual(['harness/compare/fixtures/compare-fixture.yaml:72:9: step shell: expected exit status 0, got 1', 'kernel panic: sysrq triggered crash']);
  });

  it('with --fix looks for the first passing build, the good end failing', async () => {
    const runner = fakeRunner((abi) => (abi >= '6.1.0-54' ? ['passed', 'passed'] : ['failed', 'xfail']));
    const outcome = await runDebianBisect(options(runner.runRound, { fix: true }));
    expect(runner.calls[0]!.abi).toBe('6.1.0-47');
    expect(outcome.state.result).toEqual({ lastOld: '6.1.0-53', firstNew: '6.1.0-54', suspects: ['6.1.0-54'] });
    expect(resultLines(outcome.state)[0]).toMatch(/^First fixed build: 6\.1\.0-54/);
  });

  it('tests the nearest untested build when the midpoint is skip, and answers with a range when skips sit next to the change', async () => {
    const truth = regressionAt('6.1.0-52');
    const runner = fakeRunner((abi, round) => (abi === '6.1.0-51' || abi === '6.1.0-50' ? ['infra-error', 'skipped'] : truth(abi, round)));
    const outcome = await runDebianBisect(options(runner.runRound));
    expect(runner.calls.map((c) => c.abi)).toEqual(['6.1.0-56', '6.1.0-47', '6.1.0-51', '6.1.0-50', '6.1.0-52', '6.1.0-49']);
    expect(outcome.state.result).toEqual({ lastOld: '6.1.0-49', firstNew: '6.1.0-52', suspects: ['6.1.0-50', '6.1.0-51', '6.1.0-52'] });
    expect(resultLines(outcome.state)).toEqual([
      'The first bad build is one of: 6.1.0-50, 6.1.0-51, 6.1.0-52.',
      '6.1.0-50, 6.1.0-51 could not be decided (skip); the last good build is 6.1.0-49 (Debian 6.1.174-1), and 6.1.0-52 (Debian 6.1.180-1, upstream 6.1.180) is bad.',
    ]);
  });

  it('runs a second round when the first is inconclusive, and decides on both (else skip)', async () => {
    const truth = regressionAt('6.1.0-52', 3);
    const runner = fakeRunner((abi, round) => {
      // A flaky bad build: one failure in the first round, all in the second.
      if (abi === '6.1.0-52') return round === 1 ? ['failed', 'passed', 'passed'] : ['failed', 'failed', 'failed'];
      // A good build with one stray failure: not enough either time, so a skip.
      if (abi === '6.1.0-51') return round === 1 ? ['failed', 'passed', 'passed'] : ['passed', 'passed', 'passed'];
      return truth(abi, round);
    });
    const outcome = await runDebianBisect(options(runner.runRound, { runs: 3, badThreshold: 2 }));
    expect(runner.calls.filter((c) => c.abi === '6.1.0-52').map((c) => c.round)).toEqual([1, 2]);
    const steps = new Map(outcome.state.steps.map((s) => [s.abi, s]));
    expect(steps.get('6.1.0-52')).toMatchObject({ decision: 'failing', verdict: 'new' });
    expect(steps.get('6.1.0-52')!.rounds).toHaveLength(2);
    expect(steps.get('6.1.0-51')).toMatchObject({ decision: 'skip', reason: expect.stringMatching(/still inconclusive after 2 rounds/) });
    expect(outcome.state.result?.suspects).toEqual(['6.1.0-51', '6.1.0-52']);
  });

  it('counts only crashes with the bad end\'s title as failing; another crash is a skip', async () => {
    const oops = 'BUG: unable to handle page fault for address: ffff888012345000 in memory_failure+0x1a/0x2b0';
    const runner = fakeRunner((abi) => {
      if (abi >= '6.1.0-53') return [{ crashed: oops.replace('12345', '54321') }, 'failed'];
      if (abi === '6.1.0-52') return [{ crashed: 'WARNING in __folio_put' }, { crashed: 'WARNING in __folio_put' }];
      return ['passed', 'passed'];
    });
    const outcome = await runDebianBisect(options(runner.runRound));
    expect(outcome.state.referenceCrashTitles).toEqual(['BUG: unable to handle page fault for address: ADDR in memory_failure+OFF']);
    expect(outcome.state.steps.find((s) => s.abi === '6.1.0-52')).toMatchObject({ decision: 'skip' });
    expect(outcome.state.result).toEqual({ lastOld: '6.1.0-51', firstNew: '6.1.0-53', suspects: ['6.1.0-52', '6.1.0-53'] });
  });

  it('stops with what each end did when they do not behave as claimed', async () => {
    const runner = fakeRunner((abi) => (abi === '6.1.0-56' ? ['passed', 'passed'] : ['failed', 'failed']));
    const outcome = await runDebianBisect(options(runner.runRound));
    expect(outcome.kind).toBe('endpoints');
    expect(runner.calls.map((c) => c.abi)).toEqual(['6.1.0-56', '6.1.0-47']);
    expect(outcome.state.endpointProblem).toContain('good end: 6.1.0-47 was bad-like (2 failing, 0 passing, 0 skip of 2 run(s) (bad-like at 1+ failing)): failed ×2');
    expect(outcome.state.endpointProblem).toContain('bad end:  6.1.0-56 was good-like');
    expect(outcome.state.endpointProblem).toContain('add --fix');
  });

  it('never calls a build bad because it did not boot', async () => {
    const runner = fakeRunner(() => [{ recorded: 'infra-before-6.12' }, 'infra-error']);
    const outcome = await runDebianBisect(options(runner.runRound));
    expect(outcome.kind).toBe('endpoints');
    expect(outcome.state.steps.map((s) => s.decision)).toEqual(['skip', 'skip']);
    expect(outcome.state.endpointProblem).toContain(
      "bad end:  6.1.0-56 was skip (0 failing, 0 passing, 2 skip of 2 run(s): no run could tell): infra-error: harness/compare/fixtures/compare-fixture.yaml:57:9: set-up step release failed: helper release t0: no target named 't0'; infra-error",
    );
  });

  it('resumes after Ctrl-C: decided steps and finished rounds are reused, and the answer is the same', async () => {
    const truth = regressionAt('6.1.0-52', 3);
    // Interrupted during the third step's second round (its first round was inconclusive).
    const first = fakeRunner((abi, round) => (abi === '6.1.0-51' ? (round === 1 ? ['failed', 'passed', 'passed'] : 'interrupt') : truth(abi, round)));
    const stopped = await runDebianBisect(options(first.runRound, { runs: 3, badThreshold: 2 }));
    expect(stopped.kind).toBe('interrupted');
    const saved = await readBisectState(dir);
    expect(saved?.steps.map((s) => [s.abi, s.decision, s.rounds.length])).toEqual([
      ['6.1.0-56', 'failing', 1],
      ['6.1.0-47', 'passing', 1],
      ['6.1.0-51', null, 1],
    ]);

    const second = fakeRunner((abi, round) => (abi === '6.1.0-51' ? ['passed', 'passed', 'passed'] : truth(abi, round)));
    const resumed = await runDebianBisect(options(second.runRound, { runs: 3, badThreshold: 2 }));
    expect(second.calls[0]).toEqual({ abi: '6.1.0-51', round: 2, dir: path.join(dir, 'steps', '03-6.1.0-51', 'round-2') });
    expect(second.calls.map((c) => c.abi)).not.toContain('6.1.0-56');
    expect(resumed.kind).toBe('done');
    expect(resumed.state.steps.find((s) => s.abi === '6.1.0-51')).toMatchObject({ decision: 'skip', rounds: [{ round: 1 }, { round: 2 }] });
    expect(resumed.state.result?.firstNew).toBe('6.1.0-52');
    expect(log).toContain(`continuing the bisect in ${dir}: 2 step(s) already decided`);

    // Done: running it again answers from the state alone.
    const third = fakeRunner(() => 'interrupt');
    expect((await runDebianBisect(options(third.runRound, { runs: 3, badThreshold: 2 }))).state.result).toEqual(resumed.state.result);
    expect(third.calls).toEqual([]);
  });

  it('refuses to continue a saved bisect with other arguments, saying which', async () => {
    await runDebianBisect(options(fakeRunner(regressionAt('6.1.0-52')).runRound));
    const attempt = runDebianBisect(options(fakeRunner(regressionAt('6.1.0-52')).runRound, { runs: 5, fix: true }));
    await expect(attempt).rejects.toThrow(HarnessError);
    await expect(attempt).rejects.toThrow(/--runs: saved 2, now 5\n\s+--fix: saved false, now true/);
  });

  it('refuses a state file it cannot read rather than starting over on top of it', async () => {
    await fs.writeFile(path.join(dir, STATE_FILE), '{"schemaVersion": 1, "args": {}}');
    await expect(runDebianBisect(options(fakeRunner(regressionAt('6.1.0-52')).runRound))).rejects.toThrow(/is not a bisect state this harness can continue/);
  });
});

describe('debianCandidates', () => {
  it('is every build from the good end to the bad end, oldest first', () => {
    expect(debianCandidates('6.1.0-50', '6.1.0-53', BUILDS).map((c) => c.abi)).toEqual(['6.1.0-50', '6.1.0-51', '6.1.0-52', '6.1.0-53']);
  });

  it('refuses ends in the wrong order, the same build twice, and paths', () => {
    expect(() => debianCandidates('6.1.0-53', '6.1.0-50', BUILDS)).toThrow(/--good 6\.1\.0-53 .* is newer than --bad 6\.1\.0-50/);
    expect(() => debianCandidates('6.1.0-50', '6.1.0-50', BUILDS)).toThrow(/the same build/);
    expect(() => debianCandidates('./bzImage', '6.1.0-50', BUILDS)).toThrow(/is not a Debian build/);
  });
});
