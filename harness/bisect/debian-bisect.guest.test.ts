import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processesMentioning } from '../testing/guest-fixture.ts';
import { projectRoot } from '../util/paths.ts';
import type { BisectState } from './bisect-state.ts';

// `memharness bisect` over the ten Debian 6.1 builds 6.1.0-47..56, as a user runs it, for a
// behaviour change established on real guests (fixtures/zone-device-memmap-log.yaml): from
// 6.1.0-53 memmap_init_zone_device() logs at KERN_DEBUG instead of KERN_INFO. The case checks
// the new behaviour, so this is a --fix bisect; one run per step (the change is not flaky).
// The search tests 47, 56, 51, 53, 52: five kernels, downloaded on a fresh machine.
const cli = path.join(projectRoot, 'harness/bin/memharness.js');
const suite = path.join(projectRoot, 'harness/bisect/fixtures/zone-device-memmap-log.yaml');
let tmp: string;
let childTmp: string;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'memharness-debian-bisect-'));
  childTmp = await fs.mkdtemp(path.join(tmp, 'tmpdir-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('memharness bisect over Debian builds', () => {
  it('names 6.1.0-53 as the first build where memmap_init_zone_device() went quiet, with the changelog entries that brought it', async () => {
    const output = path.join(tmp, 'bisect');
    const args = ['bisect', '--good', '6.1.0-47', '--bad', '6.1.0-56', '--fix', '--case', 'bisect-61:memmap-init-log-is-debug', '--suites', suite, '--runs', '1', '--output', output];
    const result = await execa('node', [cli, ...args], { cwd: projectRoot, reject: false, timeout: 1_500_000, env: { TMPDIR: childTmp } });
    const said = `${String(result.stdout)}\n${String(result.stderr)}`;
    expect(result.exitCode, said).toBe(0);
    expect(await processesMentioning(childTmp)).toEqual([]);

    const state = JSON.parse(await fs.readFile(path.join(output, 'bisect.json'), 'utf8')) as BisectState;
    expect(state.result, said).toMatchObject({ lastOld: '6.1.0-52', firstNew: '6.1.0-53', suspects: ['6.1.0-53'] });
    expect(state.candidates).toHaveLength(10);
    // Ends first, then the binary search; each step decided by its one run.
    expect(state.steps.map((step) => [step.abi, step.decision])).toEqual([
      ['6.1.0-47', 'failing'],
      ['6.1.0-56', 'passing'],
      ['6.1.0-51', 'failing'],
      ['6.1.0-53', 'passing'],
      ['6.1.0-52', 'failing'],
    ]);

    const report = await fs.readFile(path.join(output, 'bisect.md'), 'utf8');
    expect(report).toContain('First fixed build: 6.1.0-53: Debian 6.1.187-1, upstream 6.1.187');
    expect(report).toMatch(/^- mm: move most of core MM initialization to mm\/mm_init\.c \(6\.1\.187-1/m);
    expect(report).toMatch(/^- mm\/mm_init: fix uninitialized struct pages for ZONE_DEVICE/m);
    expect(said).toContain('6.1.0-53');
  });
});
