import { describe, expect, it } from 'vitest';
import { KERNEL_61, KERNEL_612, makeCase, sampleRun } from '../reporters/testing/sample-run.ts';
import { HarnessError } from '../util/errors.ts';
import { mergeRunResults } from './merge-run-results.ts';
import type { RunResult } from './run-result.ts';

function shard(index: number, total: number, overrides: Partial<RunResult> = {}): RunResult {
  return sampleRun({
    runId: `2026-11-22T03-2${index}-00Z-000${index}`,
    startedAt: `2026-11-22T03:2${index}:00.000Z`,
    endedAt: `2026-11-22T03:3${index}:00.000Z`,
    shard: { index, total },
    kernels: [KERNEL_612],
    suites: [{ path: 'suites/hwpoison.yaml', sha256: 'a'.repeat(64) }],
    host: { hostname: `runner-${index}`, cpus: 2 + index, memoryMiB: 8000 * index, kernel: '6.1.0-40-amd64' },
    cases: [makeCase('passed', { key: `hwpoison/case-${index}` })],
    ...overrides,
  });
}

describe('mergeRunResults', () => {
  it("keeps the shards' run errors, each once (every shard loads the same suites)", () => {
    const problem = { message: 'cases: expected a list', location: 'suites/bad.yaml:2:8' };
    const merged = mergeRunResults([shard(1, 2, { errors: [problem] }), shard(2, 2, { errors: [problem, { message: 'preparing the guest failed: no QEMU' }] })]);
    expect(merged.errors).toEqual([problem, { message: 'preparing the guest failed: no QEMU' }]);
    expect(mergeRunResults([shard(1, 2), shard(2, 2)]).errors).toBeUndefined();
  });

  it('unions the cases, kernels and suites of all shards, in shard order', () => {
    const merged = mergeRunResults([
      shard(2, 3, { kernels: [KERNEL_61], cases: [makeCase('failed', { key: 'hwpoison/case-2', kernel: KERNEL_61 })] }),
      shard(1, 3),
      shard(3, 3, { suites: [{ path: 'suites/mce.yaml', sha256: 'b'.repeat(64) }] }),
    ]);
    expect(merged.cases.map((result) => result.key)).toEqual(['hwpoison/case-1', 'hwpoison/case-2', 'hwpoison/case-3']);
    expect(merged.kernels.map((kernel) => kernel.id)).toEqual([KERNEL_612.id, KERNEL_61.id]);
    expect(merged.suites.map((suite) => suite.path)).toEqual(['suites/hwpoison.yaml', 'suites/mce.yaml']);
    expect(merged).toMatchObject({
      runId: '2026-11-22T03-21-00Z-0001',
      startedAt: '2026-11-22T03:21:00.000Z',
      endedAt: '2026-11-22T03:33:00.000Z',
      complete: true,
      interrupted: false,
      host: { hostname: 'runner-1, runner-2, runner-3', cpus: 3, memoryMiB: 8000 },
    });
    expect(merged.shard).toBeUndefined();
  });

  it('is incomplete when a shard is missing, interrupted or not ended', () => {
    expect(mergeRunResults([shard(1, 3), shard(3, 3)]).complete).toBe(false);
    const interrupted = mergeRunResults([shard(1, 2), shard(2, 2, { interrupted: true, complete: false, endedAt: null })]);
    expect(interrupted).toMatchObject({ complete: false, interrupted: true, endedAt: null });
  });

  it('keeps a single run as it is', () => {
    const run = shard(1, 2);
    expect(mergeRunResults([run])).toEqual(run);
    expect(mergeRunResults([sampleRun()])).toEqual(sampleRun());
  });

  it('says when the shards ran on different accelerators', () => {
    const merged = mergeRunResults([shard(1, 2, { accelerator: { accel: 'kvm', reason: 'probe booted' } }), shard(2, 2)]);
    expect(merged.accelerator.accel).toBe('tcg');
    expect(merged.accelerator.reason).toMatch(/^mixed: .*kvm \(probe booted\).*tcg/);
  });

  it('refuses the same execution twice, a suite that changed, and no runs at all', () => {
    const twice = () => mergeRunResults([shard(1, 2), shard(2, 2, { cases: [makeCase('failed', { key: 'hwpoison/case-1' })] })]);
    expect(twice).toThrow(HarnessError);
    expect(twice).toThrow(`hwpoison/case-1 on ${KERNEL_612.id} is in run 2026-11-22T03-21-00Z-0001 and in run 2026-11-22T03-22-00Z-0002`);
    // The same key on another kernel or repeat is a different execution.
    expect(mergeRunResults([shard(1, 2), shard(2, 2, { cases: [makeCase('passed', { key: 'hwpoison/case-1', repeatIndex: 1 })] })]).cases).toHaveLength(2);
    expect(() => mergeRunResults([shard(1, 2), shard(2, 2, { suites: [{ path: 'suites/hwpoison.yaml', sha256: 'c'.repeat(64) }] })])).toThrow(
      /suite suites\/hwpoison\.yaml differs between run/,
    );
    expect(() => mergeRunResults([])).toThrow('no runs given');
    expect(() => mergeRunResults([shard(1, 2), shard(1, 2)])).toThrow('given twice');
  });
});
