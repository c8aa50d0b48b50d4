import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCRATCH_FS_MODULES } from '../inject/scratch-fs.ts';
import type { KernelInfo } from '../results/run-result.ts';
import { evaluateRequirements, kernelFactsOf, loadSuites, parseSuite, type KernelFacts, type SuiteCase } from '../suite/index.ts';
import { bootSharedTestGuest, type SharedTestGuest } from '../testing/guest-fixture.ts';
import { executeCase, type ExecutedCase } from './execute-case.ts';
import { injectsMachineCheck } from './run-plan.ts';

const SUITES = ['harness/runner/fixtures/hwpoison-basic.yaml', 'harness/runner/fixtures/soft-offline-basic.yaml'];
const GUEST = { modules: ['hwpoison_inject', ...SCRATCH_FS_MODULES] };

/** Verdicts measured on the real kernels (see the report in the runner's README section). */
const EXPECTED: Record<'6.12' | '6.1', Record<string, string>> = {
  '6.12': {
    'hwpoison-basic/poison-free-debugfs': 'passed',
    'hwpoison-basic/poison-anon-debugfs': 'passed',
    'hwpoison-basic/poison-anon-madvise-hwpoison': 'passed',
    'hwpoison-basic/anon-madvise-sigbus': 'passed',
    'hwpoison-basic/mce-srao-anon': 'passed',
    'soft-offline-basic/madvise-anon': 'passed',
    'soft-offline-basic/sysfs-free-page': 'passed',
    'soft-offline-basic/disabled-by-sysctl': 'passed',
  },
  '6.1': {
    'hwpoison-basic/poison-free-debugfs': 'passed',
    'hwpoison-basic/poison-anon-debugfs': 'passed',
    'hwpoison-basic/poison-anon-madvise-hwpoison': 'passed',
    'hwpoison-basic/anon-madvise-sigbus': 'passed',
    'hwpoison-basic/mce-srao-anon': 'passed',
    'soft-offline-basic/madvise-anon': 'passed',
    'soft-offline-basic/sysfs-free-page': 'passed',
    'soft-offline-basic/disabled-by-sysctl': 'skipped',
  },
};

const WRONG_SUITE = `suite: runner-self-test
title: cases that must not pass
cases:
  - id: wrong-result
    title: a deliberately wrong expectation
    steps:
      - target: { name: t0, kind: free }
      - inject: { method: debugfs, target: t0 }
      - wait: { event: memory-failure, pfn: $t0 }
    expect:
      - event: memory-failure
        pfn: $t0
        result: Ignored
        count: 1
  - id: expected-to-fail
    title: the same wrong expectation, marked xfail
    xfail: { reason: the expectation is wrong on purpose, reference: runner self-test }
    steps:
      - target: { name: t0, kind: free }
      - inject: { method: debugfs, target: t0 }
    expect:
      - event: memory-failure
        pfn: $t0
        result: Ignored
  - id: step-timeout
    title: a step past its deadline fails the case at that step
    steps:
      - shell: sleep 20
        timeout: 1s
  - id: sysrq-panic
    title: a step that panics the guest
    steps:
      - shell: echo c > /proc/sysrq-trigger
`;

function inlineCases(): Map<string, SuiteCase> {
  const loaded = parseSuite(WRONG_SUITE, 'inline/runner-self-test.yaml');
  if (!loaded.ok) throw new Error(loaded.problems.map((p) => `${p.line}:${p.column} ${p.message}`).join('\n'));
  return new Map(loaded.suite.cases.map((c) => [c.id, c]));
}

describe.each([
  { ref: undefined, series: '6.12' as const },
  { ref: '6.1.0-56', series: '6.1' as const },
])('executeCase on a real $series guest', ({ ref, series }) => {
  let shared: SharedTestGuest | undefined;
  let facts: KernelFacts;
  let kernel: KernelInfo;
  let artifactsRoot: string;
  let cases: SuiteCase[] = [];
  const inline = inlineCases();
  const results = new Map<string, ExecutedCase | { verdict: 'skipped'; reason: string }>();
  let counter = 0;

  async function guestFor(): Promise<SharedTestGuest> {
    if (shared && shared.guest.fitForSnapshot && shared.guest.machine.isRunning) return shared;
    await shared?.dispose();
    shared = await bootSharedTestGuest(ref, GUEST);
    facts = await kernelFactsOf(shared.prepared.kernel);
    kernel = { id: shared.prepared.kernel.id, release: shared.guest.unameRelease ?? shared.prepared.kernel.release };
    return shared;
  }

  async function run(testCase: SuiteCase, options: { anyLiveGuest?: boolean } = {}): Promise<ExecutedCase> {
    const { guest } = options.anyLiveGuest && shared?.guest.machine.isRunning ? shared : await guestFor();
    const artifactsDir = path.join(artifactsRoot, `${counter++}-${testCase.key.replaceAll('/', '_')}`);
    const result = await executeCase({ guest, case: testCase, kernel, attempt: 1, isolation: 'boot', artifactsDir, runDir: artifactsRoot, facts });
    const line = `${series} ${testCase.key}: ${result.verdict}${result.failure ? ` — ${result.failure.message}` : ''}${result.crash ? ` [${result.crash.title}]` : ''}`;
    process.stdout.write(`${line}\n`);
    if (process.env.MEMHARNESS_TEST_VERBOSE) process.stdout.write(`${JSON.stringify({ steps: result.steps, checks: result.checks, events: result.events.map((e) => e.text) }, null, 1)}\n`);
    return result;
  }

  beforeAll(async () => {
    artifactsRoot = await fs.mkdtemp(path.join(os.tmpdir(), 'memharness-runner-'));
    const loaded = await loadSuites(SUITES);
    expect(loaded.problems).toEqual([]);
    // Machine checks last: they leave the guest unusable for more cases.
    cases = loaded.suites.flatMap((suite) => suite.cases).sort((a, b) => Number(injectsMachineCheck(a)) - Number(injectsMachineCheck(b)));
    await guestFor();
    for (const testCase of cases) {
      const requirements = evaluateRequirements(testCase, facts);
      if (!requirements.satisfied) {
        results.set(testCase.key, { verdict: 'skipped', reason: requirements.skipReason ?? '' });
        process.stdout.write(`${series} ${testCase.key}: skipped — ${requirements.skipReason}\n`);
        continue;
      }
      if (injectsMachineCheck(testCase)) {
        results.set(inline.get('wrong-result')!.key, await run(inline.get('wrong-result')!));
        results.set(inline.get('expected-to-fail')!.key, await run(inline.get('expected-to-fail')!));
      }
      results.set(testCase.key, await run(testCase));
    }
    if (!results.has(inline.get('wrong-result')!.key)) results.set(inline.get('wrong-result')!.key, await run(inline.get('wrong-result')!));
    // A timed-out step leaves its command running in the guest; the panic ends it: both last, on one guest.
    results.set(inline.get('step-timeout')!.key, await run(inline.get('step-timeout')!));
    results.set(inline.get('sysrq-panic')!.key, await run(inline.get('sysrq-panic')!, { anyLiveGuest: true }));
  }, 1_200_000);

  afterAll(async () => {
    await shared?.dispose();
    if (artifactsRoot) await fs.rm(artifactsRoot, { recursive: true, force: true });
  });

  it('gives every suite case its measured verdict', () => {
    const verdicts = Object.fromEntries(cases.map((c) => [c.key, results.get(c.key)?.verdict]));
    const failures = Object.fromEntries(cases.map((c) => [c.key, (results.get(c.key) as ExecutedCase | undefined)?.failure?.message]).filter(([, m]) => m));
    expect({ verdicts, failures: Object.keys(verdicts).filter((k) => verdicts[k] !== EXPECTED[series][k]).map((k) => `${k}: ${failures[k] ?? ''}`) }).toEqual({ verdicts: EXPECTED[series], failures: [] });
  });

  it('really checked every expectation of the passing suite cases', () => {
    for (const testCase of cases) {
      const result = results.get(testCase.key);
      if (!result || result.verdict !== 'passed') continue;
      const all = (result as ExecutedCase).checks;
      // Step `expect:` items are recorded too, located at their step ("file:line:col expect[i]").
      const isStepItem = (check: { location: string }) => / expect\[\d+\]$/.test(check.location);
      const checks = all.filter((check) => !isStepItem(check));
      const stepItems = all.filter(isStepItem);
      expect(checks.length, testCase.key).toBe(testCase.expectations.length);
      const ranSteps = (result as ExecutedCase).steps.filter((step) => step.status === 'done');
      expect(stepItems.length, testCase.key).toBe(ranSteps.reduce((sum, step) => sum + testCase.steps[step.index]!.expect.length, 0));
      for (const item of stepItems) expect(['passed', 'not-applicable'], `${item.location} ${item.text}`).toContain(item.status);
      for (const check of checks) {
        const expectation = testCase.expectations.find((e) => `${e.location.file}:${e.location.line}:${e.location.column}` === check.location)!;
        expect(['passed', 'not-applicable', ...(expectation.ifAvailable ? ['not-available'] : [])], `${check.location} ${check.text}`).toContain(check.status);
      }
      expect(checks.filter((check) => check.status === 'passed').length, testCase.key).toBeGreaterThan(0);
      expect((result as ExecutedCase).steps.every((step) => step.status !== 'failed'), testCase.key).toBe(true);
    }
  });

  it('fails a wrong expectation saying what was expected and what the kernel did', () => {
    const result = results.get(inline.get('wrong-result')!.key) as ExecutedCase;
    expect(result.verdict).toBe('failed');
    expect(result.failure?.message).toMatch(/expected 1 kernel event 'memory-failure' with pfn=\$t0\.pfn=0x[0-9a-f]+ result=Ignored/);
    expect(result.failure?.message).toMatch(/'memory-failure' events it did log: .*Recovered/);
    expect(result.failure?.expectation).toContain('result: Ignored');
    expect(result.failure?.location).toMatch(/^inline\/runner-self-test\.yaml:\d+:\d+$/);
    expect(result.artifacts.console).toMatch(/console\.log$/);
    expect(result.artifacts.dmesg).toMatch(/dmesg\.txt$/);
  });

  it('reports a failing expectation of an xfail case as xfail', () => {
    const result = results.get(inline.get('expected-to-fail')!.key) as ExecutedCase;
    expect(result.verdict).toBe('xfail');
    expect(result.failure?.message).toMatch(/^expected failure \(the expectation is wrong on purpose; runner self-test\): expected at least 1 kernel event 'memory-failure'/);
  });

  it('fails a step past its deadline at the step, without hanging', () => {
    const result = results.get(inline.get('step-timeout')!.key) as ExecutedCase;
    expect(result.verdict).toBe('failed');
    expect(result.failure?.message).toMatch(/^step shell at inline\/runner-self-test\.yaml:\d+:\d+ did not finish within 1 s$/);
    expect(result.failure?.location).toMatch(/^inline\/runner-self-test\.yaml:\d+:\d+$/);
    expect(result.durationMs).toBeLessThan(15_000);
  });

  it('reports a guest panicked by a step as crashed, with the crash title', async () => {
    const result = results.get(inline.get('sysrq-panic')!.key) as ExecutedCase;
    expect(result.verdict).toBe('crashed');
    expect(result.crash?.title).toMatch(/sysrq triggered crash/);
    const console = await fs.readFile(path.join(artifactsRoot, result.artifacts.console!), 'latin1');
    expect(console).toMatch(/sysrq triggered crash/);
  });
});
