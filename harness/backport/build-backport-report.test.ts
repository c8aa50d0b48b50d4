import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { recordedRun } from '../compare/testing/recorded-runs.ts';
import { readRunResultFile } from '../results/read-run-result.ts';
import type { KernelInfo, RunResult } from '../results/run-result.ts';
import { projectRoot } from '../util/paths.ts';
import { buildBackportReport } from './build-backport-report.ts';
import type { KernelHistory } from './kernel-history.ts';
import { createProgress } from '../util/progress.ts';
import { backportExitCode, backportFromRun, kernelOfRun } from './run-backport-check.ts';
import { renderBackportText } from './render-backport.ts';

// compare-fixture on 6.1.0-47 and on 6.12.117, recorded (harness/compare/fixtures/README.md):
// a backport check's one run holds both kernels' cases, so the two runs are put together.
async function bothKernels(): Promise<{ run: RunResult; k61: KernelInfo; k612: KernelInfo }> {
  const old = (await recordedRun('fixture61')).run;
  const recent = (await recordedRun('fixture612')).run;
  return { run: { ...recent, kernels: [...old.kernels, ...recent.kernels], cases: [...old.cases, ...recent.cases] }, k61: old.kernels[0]!, k612: recent.kernels[0]! };
}

const noHistory = (kernel: KernelInfo): KernelHistory => ({ kernel, package: null, entries: [], missing: 'not looked up in this test' });

function report(run: RunResult, base: KernelInfo, candidate: KernelInfo) {
  return buildBackportReport({ run, runDir: '/results/x', base, candidate, suiteCases: new Map(), baseHistory: noHistory(base), candidateHistory: noHistory(candidate) });
}

describe('buildBackportReport on recorded runs', () => {
  it('6.1 → 6.12: what 6.12 fixed, what only it runs, what the harness could not decide', async () => {
    const { run, k61, k612 } = await bothKernels();
    const result = report(run, k61, k612);
    const category = Object.fromEntries(result.cases.map((entry) => [entry.caseId, entry.category]));
    expect(category).toEqual({
      steady: 'same',
      broken: 'still-failing',
      'sigbus-inside-madvise': 'fixed',
      'panics-before-6.12': 'fixed',
      'infra-before-6.12': 'inconclusive',
      'soft-offline-sysctl': 'only-on-candidate',
      'coin-flip': 'inconclusive',
    });
    expect(result.regressed).toBe(false);
    expect(backportExitCode(result, 1)).toBe(2);
    const text = renderBackportText(result);
    expect(text).toMatch(/^memharness backport-check: 0 regressed, 0 newly crashing, 0 known bug in candidate, 2 fixed/);
    expect(text).toContain('Fixed in the candidate (2):');
    expect(text).toMatch(/panics-before-6\.12: crashed → passed/);
    expect(text).toMatch(/soft-offline-sysctl: skipped on the base: /);
  });

  it('6.12 → 6.1: the regression and the new crash a stable maintainer must see first', async () => {
    const { run, k61, k612 } = await bothKernels();
    const result = report(run, k612, k61);
    const category = Object.fromEntries(result.cases.map((entry) => [entry.caseId, entry.category]));
    expect(category['sigbus-inside-madvise']).toBe('regressed');
    expect(category['panics-before-6.12']).toBe('new-crash');
    expect(category['soft-offline-sysctl']).toBe('only-on-base');
    expect(result.regressed).toBe(true);
    expect(backportExitCode(result, 1)).toBe(1);
    const text = renderBackportText(result);
    expect(text.indexOf('Regressed in the candidate')).toBeLessThan(text.indexOf('Newly crashing'));
    expect(text).toMatch(/Newly crashing in the candidate \(1\):\n {2}compare-fixture\/panics-before-6\.12: passed → crashed: /);
  });

  it('a case the candidate never reached is missing, not same', async () => {
    const { run, k61, k612 } = await bothKernels();
    const partial = { ...run, complete: false, interrupted: true, cases: run.cases.filter((entry) => !(entry.kernel.id === k612.id && entry.caseId === 'steady')) };
    const result = report(partial, k61, k612);
    expect(result.cases.find((entry) => entry.caseId === 'steady')?.category).toBe('missing');
    expect(backportExitCode(result, 130)).toBe(130);
    expect(renderBackportText(result)).toContain('note: the run did not finish');
  });

  it('refuses one kernel on both sides', async () => {
    const { run, k61 } = await bothKernels();
    expect(() => report(run, k61, k61)).toThrow(/same kernel/);
  });
});

describe('buildBackportReport on a recorded backport-check run (6.1.0-56 → 6.12.117)', () => {
  it('names the version-dependent items each kernel was held to, once per suite line', async () => {
    const run = await readRunResultFile(path.join(projectRoot, 'harness/backport/fixtures/backport-6.1.0-56-6.12.117.json'));
    const [base, candidate] = run.kernels as [KernelInfo, KernelInfo];
    const result = report(run, base, candidate);
    const category = Object.fromEntries(result.cases.map((entry) => [entry.key, entry.category]));
    expect(category).toMatchObject({
      'hwpoison/kpageflags-anon': 'known-bug-in-candidate',
      'memory-blocks/offline-poisoned-sysfs-hard-offline': 'known-bug-fixed',
      'soft-offline/disabled-by-sysctl-madvise-soft-offline': 'only-on-candidate',
      'hwpoison/poison-anon-madvise-hwpoison': 'differs-as-expected',
      'hwpoison/unpoison-not-poisoned': 'same',
    });
    const madvise = result.cases.find((entry) => entry.key === 'hwpoison/poison-anon-madvise-hwpoison')!;
    expect(madvise.onlyCandidate.map((item) => item.text)).toContain('inject: sigbus: BUS_MCEERR_AR at $t0.vaddr lsb 12');
    expect(madvise.onlyBase.map((item) => item.text)).toEqual(expect.arrayContaining(['inject: sigbus: none']));
    // Same key, same parameters: an item applicable on both kernels is never listed.
    expect(madvise.onlyBase.map((item) => item.text)).not.toContain('inject: ok: true');
    const text = renderBackportText(result);
    expect(text).toMatch(/ {2}suites\/hwpoison\.yaml:\d+:\d+ expect\[\d+\]: `inject: sigbus: none`\n {4}held on 6\.1\.0-56-amd64 only \(base\), in 2 case\(s\): hwpoison\/poison-anon-madvise-hwpoison, hwpoison\/poison-hugetlb-madvise-hwpoison\n/);
  });

  it('does not invent differences for results written before steps and checks were kept', async () => {
    const run = await readRunResultFile(path.join(projectRoot, 'harness/backport/fixtures/backport-6.1.0-56-6.12.117.json'));
    const stripped = { ...run, cases: run.cases.map(({ steps: _steps, checks: _checks, ...rest }) => rest) };
    const [base, candidate] = run.kernels as [KernelInfo, KernelInfo];
    expect(report(stripped, base, candidate).counts['differs-as-expected']).toBe(0);
  });
});

describe('backport-check --from-run', () => {
  const recorded = path.join(projectRoot, 'harness/backport/fixtures/backport-6.1.0-56-6.12.117.json');

  it('reports on a recorded run without booting, the kernels named as a user types them', async () => {
    const output = await fs.mkdtemp(path.join(os.tmpdir(), 'memharness-backport-'));
    try {
      let printed = '';
      const outcome = await backportFromRun({
        fromRun: recorded,
        base: '6.1.0-56',
        candidate: '6.12.117',
        output,
        filter: { tags: [] },
        cacheDir: output,
        history: { available: async () => false },
        stdout: { write: (text: string) => void (printed += text) } as unknown as NodeJS.WriteStream,
        progress: createProgress({ quiet: true }),
      });
      expect(outcome.exitCode).toBe(1);
      expect(outcome.report?.counts['known-bug-in-candidate']).toBe(1);
      expect(await fs.readFile(path.join(output, 'backport.txt'), 'utf8')).toBe(printed.replace(/^\n/, ''));
      // No changelog here: said once per kernel, while the release a suite names still decides.
      expect(printed).toMatch(/note: 6\.1\.0-56-amd64: no changelog for 6\.1\.192-2: linux-support-6\.1\.0-56: not in the archive/);
      expect(printed).toMatch(/"mm\/hwpoison: introduce per-memory_block hwpoison counter" \(1 case\(s\)\)\n {4}base: unknown for 6\.1\.0-56-amd64 .*\n {4}candidate: in 6\.12\.117\+deb12-amd64 \(upstream 6\.2 and later\)/);
    } finally {
      await fs.rm(output, { recursive: true, force: true });
    }
  });

  it('names the run kernels when --base matches none of them', async () => {
    const run = await readRunResultFile(recorded);
    expect(() => kernelOfRun(run, '--base', '6.1.0-47')).toThrow("--base 6.1.0-47 is not the run's kernels (6.1.0-56-amd64, 6.12.117+deb12-amd64)");
    expect(kernelOfRun(run, '--candidate', '6.12.117-1~deb12u1').release).toBe('6.12.117+deb12-amd64');
  });
});
