import fs from 'node:fs';
import path from 'node:path';
import type { CaseResult, CrashInfo, KernelInfo, RunResult, Verdict } from '../../results/run-result.ts';
import { projectRoot } from '../../util/paths.ts';

/** Test data for the reporters: RunResults built in code, with real guest text where it matters. */

const FIXTURES = path.join(projectRoot, 'harness', 'kernel-log', 'fixtures');

export const KERNEL_612: KernelInfo = {
  id: 'debian-6.12.117+deb12-amd64-unsigned',
  release: '6.12.117+deb12-amd64',
  debianPackage: 'linux-image-6.12.117+deb12-amd64-unsigned',
  debianVersion: '6.12.117-1~deb12u1',
  upstreamVersion: '6.12.117',
};

export const KERNEL_61: KernelInfo = {
  id: 'debian-6.1.0-56-amd64-unsigned',
  release: '6.1.0-56-amd64',
  debianPackage: 'linux-image-6.1.0-56-amd64-unsigned',
  upstreamVersion: '6.1.158',
};

/** The console lines of a recorded fixture, without the host and kernel time stamps. */
export function fixtureConsoleLines(kernel: string, scenario: string): string[] {
  const text = fs.readFileSync(path.join(FIXTURES, kernel, `${scenario}.console`), 'latin1');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => line.replace(/^\[\s*[\d.]+\] /, '').replace(/^\[\s*[\d.]+\] /, ''));
}

/** The panic `echo c > /proc/sysrq-trigger` printed on a real 6.12 guest. */
export function sysrqCrash(): CrashInfo {
  const lines = fixtureConsoleLines('6.12.117+deb12-amd64', 'sysrq-crash');
  const start = lines.findIndex((line) => line.startsWith('Kernel panic - not syncing'));
  if (start < 0) throw new Error('sysrq-crash fixture: no panic line');
  const report = lines.slice(start).filter((line) => !line.startsWith('memharness-mark'));
  return { title: 'kernel panic: sysrq triggered crash', kind: 'panic', report: report.join('\n'), taint: 'Not tainted' };
}

/** The "Memory failure: ...: Recovered" line a real 6.12 guest printed. */
export function recoveredLine(): string {
  const line = fixtureConsoleLines('6.12.117+deb12-amd64', 'hwpoison-free-page').find((text) => text.startsWith('Memory failure:'));
  if (!line) throw new Error('hwpoison-free-page fixture: no Memory failure line');
  return line;
}

export function makeCase(verdict: Verdict, overrides: Partial<CaseResult> = {}): CaseResult {
  const caseId = overrides.caseId ?? `${verdict}-case`;
  const suite = overrides.suite ?? 'hwpoison';
  const parameters = overrides.parameters ?? { method: 'debugfs', target: 'free' };
  const attemptVerdict = verdict === 'flaky' ? 'passed' : verdict;
  return {
    key: `${suite}/${caseId}?method=${parameters.method ?? ''}`,
    suite,
    caseId,
    title: `${verdict} case`,
    tags: ['hwpoison'],
    parameters,
    kernel: KERNEL_612,
    repeatIndex: 0,
    verdict,
    durationMs: 1234,
    attempts: [{ attempt: 1, verdict: attemptVerdict, durationMs: 1234, isolation: 'boot' }],
    injections: [],
    events: [],
    artifacts: {},
    ...overrides,
  };
}

/** One case of every verdict, on two kernels and two suites, with real kernel text. */
export function sampleRun(overrides: Partial<RunResult> = {}): RunResult {
  const crash = sysrqCrash();
  const recovered = recoveredLine();
  const cases: CaseResult[] = [
    makeCase('passed', {
      injections: [
        {
          method: 'debugfs',
          target: { kind: 'free', pfn: '0x60000', physAddr: '0x60000000' },
          action: 'echo 0x60000 > /sys/kernel/debug/hwpoison/corrupt-pfn',
          startedAtMs: 7010,
          endedAtMs: 7031,
          result: { ok: true },
        },
      ],
      events: [{ type: 'memory-failure', text: recovered, atMs: 7031, pfn: '0x60000', result: 'Recovered' }],
      stateDiff: {
        meminfo: { HardwareCorrupted: { before: 0, after: 4, delta: 4 } },
        tainted: { available: true, value: { before: 0, after: 0, addedBits: [], removedBits: [] } },
        memoryFailure: { node0: { available: true, value: { total: { before: 0, after: 1, delta: 1 } } } },
        hugepages: {},
        memoryBlocks: {},
        pages: { '0x60000': { available: true, value: { before: ['buddy'], after: ['hwpoison'], set: ['hwpoison'], cleared: ['buddy'] } } },
      },
      // As recorded for hwpoison/poison-anon-madvise-hwpoison on 6.1.0-56 (backport-check run, 2026-11-22).
      steps: [
        { index: 1, kind: 'inject', location: 'suites/hwpoison.yaml:46:9', status: 'done', summary: 'madvise(0x7fd4d32c7000, 4096, MADV_HWPOISON) in the helper (pid 109): ok', durationMs: 177 },
      ],
      checks: [
        { location: 'suites/hwpoison.yaml:46:9 expect[0]', text: 'inject: ok: true', status: 'passed', xfail: false },
        { location: 'suites/hwpoison.yaml:46:9 expect[1]', text: 'inject: sigbus: none', status: 'not-applicable', xfail: false },
      ],
      artifacts: { console: 'cases/0001/console.log', dmesg: 'cases/0001/dmesg.txt' },
    }),
    makeCase('failed', {
      failure: {
        message: 'no memory-failure event with result=Recovered',
        expectation: 'event memory-failure result=Recovered',
        expected: { result: 'Recovered' },
        actual: { result: 'Ignored', line: 'Memory failure: 0x60000: recovery action for reserved kernel page: Ignored' },
        location: 'suites/hwpoison.yaml:12',
      },
      artifacts: { console: 'cases/0002/console.log' },
    }),
    makeCase('xfail', {
      reference: 'https://lore.kernel.org/linux-mm/example',
      failure: { message: 'SIGBUS not delivered (known 6.1 behaviour)' },
      attempts: [{ attempt: 1, verdict: 'xfail', durationMs: 900, isolation: 'restore', failure: { message: 'SIGBUS not delivered' } }],
    }),
    makeCase('xpass', { reference: 'bugzilla #123', attempts: [{ attempt: 1, verdict: 'xpass', durationMs: 1000, isolation: 'restore' }] }),
    makeCase('skipped', { skipReason: 'needs hugetlb pages (nr_hugepages=0)', durationMs: 0, attempts: [] }),
    makeCase('crashed', {
      suite: 'mce',
      crash,
      durationMs: 60_500,
      attempts: [{ attempt: 1, verdict: 'crashed', durationMs: 60_500, isolation: 'boot', crash }],
      artifacts: { console: 'cases/0006/console.log' },
    }),
    makeCase('infra-error', {
      suite: 'mce',
      kernel: KERNEL_61,
      failure: { message: 'guest unreachable over SSH after 120 s' },
      durationMs: 120_000,
      attempts: [{ attempt: 1, verdict: 'infra-error', durationMs: 120_000, isolation: 'boot', failure: { message: 'guest unreachable over SSH after 120 s' } }],
    }),
    makeCase('flaky', {
      kernel: KERNEL_61,
      durationMs: 3000,
      attempts: [
        { attempt: 1, verdict: 'failed', durationMs: 1500, isolation: 'restore', failure: { message: 'event came 2 s late' } },
        { attempt: 2, verdict: 'passed', durationMs: 1500, isolation: 'boot' },
      ],
    }),
  ];
  return {
    schemaVersion: 1,
    runId: '2026-11-22T03-25-00Z-a3f9',
    harnessVersion: '0.1.0',
    startedAt: '2026-11-22T03:25:00.000Z',
    endedAt: '2026-11-22T03:31:12.500Z',
    complete: true,
    interrupted: false,
    host: { hostname: 'ci-runner-1', cpus: 2, memoryMiB: 24_000, kernel: '6.1.0-40-amd64' },
    qemu: 'QEMU emulator version 7.2.19',
    accelerator: { accel: 'tcg', reason: '/dev/kvm is missing' },
    kernels: [KERNEL_612, KERNEL_61],
    suites: [
      { path: 'suites/hwpoison.yaml', sha256: 'a'.repeat(64) },
      { path: 'suites/mce.yaml', sha256: 'b'.repeat(64) },
    ],
    cases,
    ...overrides,
  };
}
