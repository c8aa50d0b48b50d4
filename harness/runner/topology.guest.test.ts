import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRunResult } from '../results/read-run-result.ts';
import { processesMentioning } from '../testing/guest-fixture.ts';
import { projectRoot } from '../util/paths.ts';

// The `ci` subset of the memory-topology suites, run as a user (or CI) runs it: one
// `memharness run` on both kernels. Five guest configurations per kernel (hotplug, numa,
// virtio-mem, legacy pmem, and an NVDIMM guest that boots per case).
const cli = path.join(projectRoot, 'harness/bin/memharness.js');
const SUITES = ['suites/hotplug.yaml', 'suites/virtio-mem.yaml', 'suites/numa.yaml', 'suites/pmem.yaml'];
let tmp: string;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'memharness-topology-test-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

/** Verdicts measured on Debian 6.12.117 and 6.1.0-56 under TCG: the same on both. */
const EXPECTED = {
  'hotplug/add-online-movable-remove': 'passed',
  'hotplug/unplug-refused-in-zone-normal': 'passed',
  'virtio-mem/grow': 'passed',
  'virtio-mem/shrink-to-128': 'passed',
  'virtio-mem/shrink-to-0': 'passed',
  'numa/soft-offline-on-node1-madvise-soft-offline': 'passed',
  'numa/soft-offline-on-node1-sysfs-soft-offline': 'passed',
  'numa/memory-failure-stats-node0': 'passed',
  'numa/memory-failure-stats-node1': 'passed',
  'pmem/shared-block-sysfs-and-tools': 'passed',
  'pmem/devdax-system-ram-roundtrip': 'passed',
};

describe('memory topology suites, ci subset', () => {
  it('gives every ci case its measured verdict on 6.12 and 6.1', { timeout: 900_000 }, async () => {
    const output = path.join(tmp, 'run');
    const dir = await fs.mkdtemp(path.join(tmp, 'tmpdir-'));
    const started = Date.now();
    const result = await execa('node', [cli, 'run', ...SUITES, '--tag', 'ci', '--kernel', 'latest-6.12', '--kernel', 'latest-6.1', '--output', output], {
      cwd: projectRoot,
      reject: false,
      timeout: 900_000,
      env: { TMPDIR: dir },
    });
    const log = `${String(result.stdout)}\n${String(result.stderr)}`;
    expect(await processesMentioning(dir), 'QEMU left behind').toEqual([]);
    const run = await readRunResult(output);
    expect(run.complete, log).toBe(true);
    const series = (release: string) => (release.startsWith('6.12.') ? '6.12' : release.startsWith('6.1.') ? '6.1' : release);
    const verdicts: Record<string, Record<string, string>> = {};
    const failures: string[] = [];
    for (const c of run.cases) {
      const kernel = series(c.kernel.release);
      (verdicts[kernel] ??= {})[c.key] = c.verdict;
      if (c.verdict !== 'passed') failures.push(`${kernel} ${c.key}: ${c.verdict} ${c.failure?.message ?? ''}`);
    }
    expect({ verdicts, failures }).toEqual({ verdicts: { '6.12': EXPECTED, '6.1': EXPECTED }, failures: [] });
    expect(result.exitCode, log).toBe(0);
    // The NVDIMM guest boots per case (its backing file is outside any snapshot).
    const devdax = run.cases.filter((c) => c.key === 'pmem/devdax-system-ram-roundtrip');
    expect(devdax.map((c) => c.attempts[0]?.isolation)).toEqual(['boot', 'boot']);
    process.stdout.write(`topology ci subset: ${run.cases.length} cases on 2 kernels in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  });
});
