import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRunResult } from '../results/read-run-result.ts';
import { processesMentioning } from '../testing/guest-fixture.ts';
import { projectRoot } from '../util/paths.ts';
import type { BackportReport } from './backport-report.ts';

// A stable maintainer's check as a user runs it, on the default suites' cases that know of a
// 6.1 / 6.12 difference (measured on 6.1.0-56 and 6.12.117): the KPF_KSM bug 6.12 has, the
// poisoned block 6.1 re-onlines, the soft-offline sysctl 6.1 lacks, madvise's SIGBUS timing,
// and one case that behaves the same on both.
const cli = path.join(projectRoot, 'harness/bin/memharness.js');
const GREP = '^(hwpoison/(kpageflags-anon|poison-anon-madvise-hwpoison|unpoison-not-poisoned)|memory-blocks/offline-poisoned-sysfs-hard-offline|soft-offline/disabled-by-sysctl-madvise-soft-offline)$';
let tmp: string;
let childTmp: string;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'memharness-backport-test-'));
  childTmp = await fs.mkdtemp(path.join(tmp, 'tmpdir-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('memharness backport-check', () => {
  it('6.1.0-56 → latest-6.12: the known bug the candidate has, the one it fixes, what only it runs, the SIGBUS timing the suite expects of each', async () => {
    const output = path.join(tmp, 'check');
    const args = ['backport-check', '--base', '6.1.0-56', '--candidate', 'latest-6.12', 'suites/hwpoison.yaml', 'suites/memory-blocks.yaml', 'suites/soft-offline.yaml', '--grep', GREP, '--workers', '2', '--output', output, '--reporter', 'list,json,junit'];
    const result = await execa('node', [cli, ...args], { cwd: projectRoot, reject: false, timeout: 900_000, env: { TMPDIR: childTmp } });
    const said = `${String(result.stdout)}\n${String(result.stderr)}`;
    // 1: the candidate shows a known bug (KPF_KSM) that the base does not.
    expect(result.exitCode, said).toBe(1);
    expect(await processesMentioning(childTmp)).toEqual([]);

    const report = JSON.parse(await fs.readFile(path.join(output, 'backport.json'), 'utf8')) as BackportReport;
    const byKey = new Map(report.cases.map((entry) => [entry.key, entry]));
    expect(report.base.release).toBe('6.1.0-56-amd64');
    expect(report.candidate.release).toMatch(/^6\.12\./);
    expect(byKey.get('hwpoison/kpageflags-anon')?.category, said).toBe('known-bug-in-candidate');
    expect(byKey.get('memory-blocks/offline-poisoned-sysfs-hard-offline')?.category, said).toBe('known-bug-fixed');
    expect(byKey.get('soft-offline/disabled-by-sysctl-madvise-soft-offline')?.category, said).toBe('only-on-candidate');
    expect(byKey.get('hwpoison/unpoison-not-poisoned')?.category, said).toBe('same');
    const madvise = byKey.get('hwpoison/poison-anon-madvise-hwpoison')!;
    expect(madvise.category, said).toBe('differs-as-expected');
    expect(madvise.onlyCandidate.map((item) => item.text)).toContain('inject: sigbus: BUS_MCEERR_AR at $t0.vaddr lsb 12');
    expect(madvise.onlyBase.map((item) => item.text)).toContain('inject: sigbus: none');

    const reference = (title: string) => report.references.find((entry) => entry.title === title);
    expect(reference('mm/hwpoison: introduce per-memory_block hwpoison counter')?.candidate).toEqual({ state: 'by-upstream-version', upstream: '6.2' });
    expect(reference('mm/memory-failure: userspace controls soft-offlining pages')?.candidate).toEqual({ state: 'by-upstream-version', upstream: '6.11' });
    // The base's changelog (linux-support-6.1.0-56) does not list the 6.2 commit.
    expect(reference('mm/hwpoison: introduce per-memory_block hwpoison counter')?.base.state).toBe('not-listed');

    const text = await fs.readFile(path.join(output, 'backport.txt'), 'utf8');
    expect(text).toMatch(/^memharness backport-check: 0 regressed, 0 newly crashing, 1 known bug in candidate, 1 known bug fixed, /);
    expect(String(result.stdout)).toContain(text.split('\n')[0]!);
    expect(text).toMatch(/Behaving differently, as the suites expect of these versions \(\d+ case\(s\)\):\n {2}suites\/hwpoison\.yaml:\d+:\d+ expect\[\d+\]: `inject: sigbus: BUS_MCEERR_AR at \$t0\.vaddr lsb 12`\n {4}held on 6\.12\.\S+ only \(candidate\)/);

    // The run itself is an ordinary run directory: both kernels, every case, the usual reports.
    const run = await readRunResult(output);
    expect(run.kernels.map((kernel) => kernel.release)).toEqual([report.base.release, report.candidate.release]);
    expect(run.cases).toHaveLength(10);
    expect(run.cases.every((entry) => entry.verdict === 'skipped' || (entry.checks?.length ?? 0) > 0)).toBe(true);
    await fs.access(path.join(output, 'junit.xml'));
  });

  it('refuses a range or one kernel on both sides before anything boots', async () => {
    const same = await execa('node', [cli, 'backport-check', '--base', '6.1.0-56', '--candidate', '6.1.0-56', '--output', path.join(tmp, 'same')], { cwd: projectRoot, reject: false, env: { TMPDIR: childTmp } });
    expect(same.exitCode).toBe(2);
    expect(String(same.stderr)).toMatch(/--base and --candidate are the same kernel \(6\.1\.0-56\)/);
    const range = await execa('node', [cli, 'backport-check', '--base', '6.1.0-47..6.1.0-56', '--candidate', 'latest-6.12'], { cwd: projectRoot, reject: false, env: { TMPDIR: childTmp } });
    expect(range.exitCode).toBe(2);
    expect(String(range.stderr)).toMatch(/--base takes one kernel, not a list or range: '6\.1\.0-47\.\.6\.1\.0-56'/);
  });
});
