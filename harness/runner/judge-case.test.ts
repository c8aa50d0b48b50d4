import { describe, expect, it } from 'vitest';
import { fact, loadFixture } from '../kernel-log/fixtures/load-fixture.ts';
import { observe } from '../kernel-log/observe.ts';
import type { CrashReport } from '../kernel-log/crash/crash-report.ts';
import { kernelFacts, parseSuite, type SuiteCase } from '../suite/index.ts';
import type { CaseObservations } from './expectations/evaluate.ts';
import { testObservations } from './testing/observations.ts';
import { judgeCase, type StepsVerdictInput } from './judge-case.ts';

/** A case as the real loader makes it, from the lines of its YAML after `- id: c`. */
function suiteCase(body: string): SuiteCase {
  const text = `suite: judge-test\ntitle: t\ncases:\n  - id: c\n    title: t\n${body.trim().split('\n').map((line) => `    ${line}`).join('\n')}\n`;
  const loaded = parseSuite(text, 'judge.yaml');
  if (!loaded.ok) throw new Error(loaded.problems.map((p) => `${p.line}:${p.column} ${p.message}`).join('\n'));
  return loaded.suite.cases[0]!;
}

const FACTS = kernelFacts({ release: '6.12.117+deb12-amd64', upstreamVersion: '6.12.117' });
const RAN_THROUGH: StepsVerdictInput = { stop: null, checks: [], problems: [], unexpectedPasses: [] };

function observations(from: ReturnType<typeof observe>, overrides: Partial<CaseObservations> = {}, pfn = 0n): CaseObservations {
  return testObservations({ events: from.events, crashes: from.crashes, lostRecords: from.lostRecords, pfn, pid: 1, ...overrides });
}

const recorded = (kernel: '6.12.117+deb12-amd64' | '6.1.0-56-amd64', scenario: string, alive: boolean) => {
  const fixture = loadFixture(kernel, scenario);
  return { fixture, seen: observe({ kmsg: fixture.kmsg, losses: [], console: fixture.console, alive }) };
};

const STEPS = `steps:
  - target: { name: t0, kind: free }
  - inject: { method: debugfs, target: t0 }`;

describe('judgeCase: crash reports (recorded 6.12 memory-offline failure: ten "page dumped because: migration failure" dumps)', () => {
  const offline = recorded('6.12.117+deb12-amd64', 'memory-offline-failure', true).seen;
  const judge = (body: string, crashes: readonly CrashReport[] = offline.crashes, alive = true) =>
    judgeCase({ testCase: suiteCase(body), facts: FACTS, steps: RAN_THROUGH, observations: observations(offline, { crashes }), alive, consoleTail: () => 'tail' });

  it('an unexpected report fails the case as crashed, every report kept with its disposition', () => {
    const judged = judge(STEPS);
    expect(judged.verdict).toBe('crashed');
    expect(judged.crash).toMatchObject({ title: 'page dumped because: migration failure', normalisedTitle: 'page dumped because: migration failure', kind: 'page-dump' });
    expect(judged.crashes).toHaveLength(10);
    expect(judged.crashes.every((crash) => crash.disposition === 'unexpected')).toBe(true);
  });

  it('allow: { reports } names the benign dumps; a crash: expectation takes the ones it matches', () => {
    expect(judge(`allow: { reports: ['^page dumped because: migration failure$'] }\n${STEPS}`).verdict).toBe('passed');
    const expected = judge(`${STEPS}\nexpect:\n  - crash: { title: 'page dumped because' }`);
    expect(expected.verdict).toBe('passed');
    expect(expected.crashes.every((crash) => crash.disposition === 'expected')).toBe(true);
  });

  it('an oops beside the allowed reports still fails the case (recorded sysrq panic after the dumps)', () => {
    const panic = recorded('6.12.117+deb12-amd64', 'sysrq-crash', false).seen.crashes;
    for (const body of [`allow: { reports: ['^page dumped because'] }\n${STEPS}`, `${STEPS}\nexpect:\n  - crash: { title: 'page dumped because' }`]) {
      const judged = judge(body, [...offline.crashes, ...panic], false);
      expect(judged.verdict).toBe('crashed');
      expect(judged.crash?.title).toBe('kernel panic: sysrq triggered crash');
      expect(judged.crashes.at(-1)?.disposition).toBe('unexpected');
    }
  });

  it('allow: { crash: true } takes everything, the death too', () => {
    const panic = recorded('6.12.117+deb12-amd64', 'sysrq-crash', false).seen.crashes;
    const judged = judge(`allow: { crash: true }\n${STEPS}`, [...offline.crashes, ...panic], false);
    expect(judged.crash).toBeUndefined();
    expect(judged.crashes.every((crash) => crash.disposition === 'allowed')).toBe(true);
  });

  it('a guest that died without a report nobody expected is a crash of its own title', () => {
    const judged = judge(STEPS, [], false);
    expect(judged).toMatchObject({ verdict: 'crashed', crash: { title: 'the guest died without a recognisable crash report', report: 'tail' } });
  });
});

describe.each(['6.12.117+deb12-amd64', '6.1.0-56-amd64'] as const)('judgeCase: counting events with records lost (recorded %s free-page poisoning)', (kernel) => {
  const { fixture, seen } = recorded(kernel, 'hwpoison-free-page', true);
  const pfn = BigInt(fact(fixture, 'pfn'));
  const body = `${STEPS}
expect:
  - event: memory-failure
    pfn: $t0
    count: 1
  - event: soft-offline
    count: none
  - event: memory-failure
    pfn: $t0
    count: at least 1
  - event: memory-failure
    pfn: $t0
    count: at most 0`;
  const judge = (lostRecords: number) =>
    judgeCase({ testCase: suiteCase(body), facts: FACTS, steps: RAN_THROUGH, observations: observations(seen, { lostRecords }, pfn), alive: true, consoleTail: () => '' });

  it('with nothing lost, the counts are judged', () => {
    expect(judge(0).checks.map((check) => check.status)).toEqual(['passed', 'passed', 'passed', 'failed']);
  });

  it('with records lost, a count the loss could change is not available (so the case fails), one the evidence decides is judged', () => {
    const judged = judge(12);
    expect(judged.checks.map((check) => check.status)).toEqual(['not-available', 'not-available', 'passed', 'failed']);
    expect(judged.checks[1]!.message).toMatch(/^12 kernel log records were lost in the case's window/);
    expect(judged.verdict).toBe('failed');
    expect(judged.failure?.message).toMatch(/^not available: 12 kernel log records were lost/);
  });
});
