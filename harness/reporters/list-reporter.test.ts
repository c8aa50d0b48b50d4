import { describe, expect, it } from 'vitest';
import { ListReporter } from './list-reporter.ts';
import { plannedCaseId, type ReporterCase } from './reporter.ts';
import { replayToReporters, reporterCaseOf } from './replay.ts';
import { KERNEL_612, makeCase, sampleRun } from './testing/sample-run.ts';

function sink(columns?: number) {
  const chunks: string[] = [];
  return { chunks, write: (text: string) => chunks.push(text), columns, text: () => chunks.join('') };
}

/** A clock that moves 1 s on every read: elapsed times are then deterministic. */
function fakeClock() {
  let now = 1_000_000;
  return () => (now += 1000);
}

describe('list reporter', () => {
  it('prints one line per case with verdict, position and duration, then a summary', async () => {
    const out = sink();
    const reporter = new ListReporter({ stream: out, isTTY: false, colours: false, outputDir: '/tmp/results/run-1', now: fakeClock() });
    await replayToReporters(sampleRun(), reporter);
    const text = out.text();
    expect(text).toContain('Running 8 cases on 2 kernels (6.12.117+deb12-amd64, 6.1.0-56-amd64), accel tcg (/dev/kvm is missing)');
    expect(text).toContain('  … [1/8] 6.12.117+deb12-amd64 › passed case\n');
    expect(text).toContain('  ✓ [1/8] 6.12.117+deb12-amd64 › hwpoison › passed case [method=debugfs, target=free] (1.2s)\n');
    expect(text).toContain('  ✘ [2/8] 6.12.117+deb12-amd64 › hwpoison › failed case [method=debugfs, target=free] failed (1.2s)\n      no memory-failure event with result=Recovered\n      expectation: event memory-failure result=Recovered\n      at suites/hwpoison.yaml:12\n');
    expect(text).toContain('‼ [6/8] 6.12.117+deb12-amd64 › mce › crashed case [method=debugfs, target=free] crashed (1m 01s)\n      kernel crashed: kernel panic: sysrq triggered crash\n');
    expect(text).toContain('- [5/8] 6.12.117+deb12-amd64 › hwpoison › skipped case [method=debugfs, target=free] skipped (0ms)\n      needs hugetlb pages (nr_hugepages=0)\n');
    expect(text).toContain('8 cases on 2 kernels in 6m 13s, accel tcg (/dev/kvm is missing)');
    expect(text).toContain('  1 passed, 1 failed, 1 xfail, 1 xpass, 1 skipped, 1 crashed, 1 infra-error, 1 flaky');
    expect(text).toMatch(/per kernel:\n {4}6\.12\.117\+deb12-amd64 {2}1 passed, 1 failed, 1 xfail, 1 xpass, 1 skipped, 1 crashed\n {4}6\.1\.0-56-amd64 {8}1 infra-error, 1 flaky\n/);
    expect(text).toMatch(/kernel failures \(3\):\n.*failed case.*\n.*xpass case.*\n.*crashed case/);
    expect(text).toMatch(/infra errors, not kernel failures \(1\):\n {4}! 6\.1\.0-56-amd64 › mce › infra-error case \[method=debugfs, target=free\]: guest unreachable over SSH after 120 s\n/);
    expect(text).toMatch(/slowest:\n {4}2m 00s {2}6\.1\.0-56-amd64 › mce › infra-error case/);
    expect(text).toContain('results: /tmp/results/run-1/');
    expect(text).not.toContain('\x1b');
  });

  it('escapes and caps guest text', async () => {
    const out = sink();
    const reporter = new ListReporter({ stream: out, isTTY: false, colours: false, now: fakeClock(), maxMessageChars: 80 });
    const run = sampleRun({
      cases: [makeCase('failed', { failure: { message: `console said \x1b]0;pwned\x07 \x1b[2J and \u202eevil ${'x'.repeat(500)}` } })],
    });
    await replayToReporters(run, reporter);
    const text = out.text();
    expect(text).not.toContain('\x1b');
    expect(text).not.toContain('\u202e');
    expect(text).toContain('console said \\x1b]0;pwned\\x07 \\x1b[2J and \\u{202e}evil xxx');
    expect(text).toMatch(/… \(\d+ more characters\)/);
  });

  it('quotes the last lines of the output of the shell step the case failed at', async () => {
    const out = sink();
    const reporter = new ListReporter({ stream: out, isTTY: false, colours: false, now: fakeClock() });
    const failure = { message: 'suites/t.yaml:12:9: step shell: expected exit status 0, got 2', location: 'suites/t.yaml:12:9' };
    const steps = [{ index: 1, kind: 'shell', location: 'suites/t.yaml:12:9', status: 'failed' as const, summary: '`ls /nope` exited 2', durationMs: 30, exit: 2, stderr: 'ls: /nope: No such file or directory\n' }];
    await replayToReporters(sampleRun({ cases: [makeCase('failed', { failure, steps })] }), reporter);
    expect(out.text()).toContain(
      '      suites/t.yaml:12:9: step shell: expected exit status 0, got 2\n      at suites/t.yaml:12:9\n      output of step shell at suites/t.yaml:12:9, exit 2:\n      stderr:\n        ls: /nope: No such file or directory\n',
    );
  });

  it('colours only when asked, and redraws a status line in place on a TTY', async () => {
    const out = sink(60);
    const reporter = new ListReporter({ stream: out, isTTY: true, colours: true, now: fakeClock() });
    await replayToReporters(sampleRun({ cases: [makeCase('passed'), makeCase('failed', { failure: { message: 'boom' } })] }), reporter);
    const text = out.text();
    expect(text).toContain('\x1b[32m✓\x1b[39m');
    expect(text).toContain('\r\x1b[K\x1b[36m[1/2] 6.12.117+deb12-amd64 › passed case');
    // The status line never wraps (it could not be redrawn) and never survives into the summary.
    for (const status of text.split('\r\x1b[K').filter((part) => part.startsWith('\x1b[36m['))) {
      expect(status.replace(/\x1b\[\d+m/g, '').length).toBeLessThanOrEqual(59);
    }
    expect(text).not.toContain('  … [1/2]');
    expect(text.endsWith('\n')).toBe(true);
  });

  it('lists errors outside any case and says when a run was interrupted', async () => {
    const out = sink();
    const reporter = new ListReporter({ stream: out, isTTY: false, colours: false, now: fakeClock() });
    const run = sampleRun({ interrupted: true, complete: false, endedAt: null, cases: [makeCase('passed')] });
    await reporter.onBegin(run, { total: 5, kernels: run.kernels });
    reporter.onError({ message: 'kernel 6.13: no such Debian build\n\x1b[1mhint\x1b[0m' });
    reporter.onCaseEnd({ ...reporterCaseOf(run.cases[0]!, 1, 5) }, run.cases[0]!);
    await reporter.onEnd(run);
    const text = out.text();
    expect(text).toContain('  ! error: kernel 6.13: no such Debian build\n    \\x1b[1mhint\\x1b[0m');
    expect(text).toContain('errors outside any case (1):');
    expect(text).toContain('  ✓ [1/5] ');
    expect(text).toContain('interrupted: the results hold the 1 cases that finished');
  });

  it("names a suite problem by its file:line:col, as it goes and in the summary", async () => {
    const out = sink();
    const reporter = new ListReporter({ stream: out, isTTY: false, colours: false, now: fakeClock() });
    const run = sampleRun({ cases: [], complete: false, errors: [{ message: 'cases: expected a list', location: 'suites/bad.yaml:2:8' }] });
    await replayToReporters(run, reporter);
    const text = out.text();
    expect(text).toContain('  ! error: suites/bad.yaml:2:8: cases: expected a list\n');
    expect(text).toContain('errors outside any case (1):\n    ! suites/bad.yaml:2:8: cases: expected a list\n');
  });

  it('keeps two repeats of one case in flight apart: each its own status entry, position and end line', async () => {
    const out = sink(200);
    const reporter = new ListReporter({ stream: out, isTTY: true, colours: false, now: fakeClock() });
    const first = makeCase('passed', { caseId: 'poison', title: 'poison case', repeatIndex: 0 });
    const second = makeCase('failed', { caseId: 'poison', title: 'poison case', repeatIndex: 1, failure: { message: 'boom on repeat 2' } });
    const run = sampleRun({ cases: [] });
    const test = (result: typeof first, index: number): ReporterCase => ({ ...reporterCaseOf(result, index, 2) });
    const a = test(first, 1);
    const b = test(second, 2);
    // Same key, same kernel: only the planned id tells them apart.
    expect(a.key).toBe(b.key);
    expect(a.id).not.toBe(b.id);
    expect(a.id).toBe(plannedCaseId({ kernel: KERNEL_612, key: first.key, repeatIndex: 0 }));

    await reporter.onBegin(run, { total: 2, kernels: run.kernels });
    reporter.onCaseBegin(a);
    reporter.onAttemptBegin(a, { attempt: 1, worker: 1 });
    reporter.onCaseBegin(b);
    reporter.onAttemptBegin(b, { attempt: 1, worker: 2 });
    const statusOf = (text: string) => text.split('\r\x1b[K').filter((part) => part.startsWith('[')).at(-1) ?? '';
    const both = statusOf(out.text());
    expect(both).toMatch(/^\[1\/2\] 6\.12\.117\+deb12-amd64 › poison case \S+ \| \[2\/2\] 6\.12\.117\+deb12-amd64 › poison case \(repeat 2\) /);

    // The second repeat ends first: the first stays in flight, under its own position.
    reporter.onAttemptEnd(b, second.attempts[0]!);
    reporter.onCaseEnd(b, second);
    const after = out.text();
    expect(after).toContain('✘ [2/2] 6.12.117+deb12-amd64 › hwpoison › poison case [method=debugfs, target=free] (repeat 2) failed');
    expect(statusOf(after)).toMatch(/^\[1\/2\] 6\.12\.117\+deb12-amd64 › poison case \S+ \(run /);
    expect(statusOf(after)).not.toContain('[2/2]');

    reporter.onAttemptEnd(a, first.attempts[0]!);
    reporter.onCaseEnd(a, first);
    await reporter.onEnd({ ...run, cases: [first, second] });
    const text = out.text();
    expect(text).toContain('✓ [1/2] 6.12.117+deb12-amd64 › hwpoison › poison case [method=debugfs, target=free] (1.2s)\n');
    expect(text.match(/✓ \[1\/2\]/g)).toHaveLength(1);
    expect(text.match(/✘ \[2\/2\]/g)).toHaveLength(1);
  });

  it('prints a start line per attempt in a CI log, and the infra recoveries under the case', async () => {
    const out = sink();
    const reporter = new ListReporter({ stream: out, isTTY: false, colours: false, now: fakeClock() });
    const flaky = makeCase('flaky', {
      attempts: [
        { attempt: 1, verdict: 'failed', durationMs: 10, isolation: 'restore', failure: { message: 'boom' }, recoveries: [{ what: 'restore-redone', message: 'restoring the snapshot failed (QEMU exited (SIGKILL) while loading the snapshot); a second restore worked' }] },
        { attempt: 2, verdict: 'passed', durationMs: 10, isolation: 'boot', recoveries: [{ what: 'restore-fell-back-to-boot', message: 'restoring the snapshot failed (x); booted a fresh guest instead' }] },
      ],
    });
    await replayToReporters(sampleRun({ cases: [flaky, makeCase('passed', { caseId: 'fine', attempts: [{ attempt: 1, verdict: 'passed', durationMs: 5, isolation: 'restore' }] })] }), reporter);
    const text = out.text();
    expect(text).toContain('  … [1/2] 6.12.117+deb12-amd64 › flaky case\n');
    expect(text).toContain('  … [1/2] 6.12.117+deb12-amd64 › flaky case (attempt 2)\n');
    expect(text).toContain(
      '      recovered (attempt 1): restore redone: restoring the snapshot failed (QEMU exited (SIGKILL) while loading the snapshot); a second restore worked\n      recovered (attempt 2): restore fell back to a boot: restoring the snapshot failed (x); booted a fresh guest instead\n',
    );
    expect(text).toMatch(/✓ \[2\/2\] [^\n]*passed case[^\n]*\n(?! {6}recovered)/);
  });
});
