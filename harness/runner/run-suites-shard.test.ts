import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeCase, sampleRun } from '../reporters/testing/sample-run.ts';
import { readRunResult } from '../results/read-run-result.ts';
import { runSuites, type RunSuitesOptions } from './run-suites.ts';

// `run --shard` where nothing boots: the plan printed by --list, and a shard that got no guest
// group (it resolves no kernel and starts no QEMU).

const SUITE = `suite: sharded
title: two guest groups
cases:
  - id: small-\${n}
    title: small guest \${n}
    parameters: { n: [1, 2, 3] }
    steps: [{ shell: 'true' }]
  - id: big
    title: a bigger guest
    guest: { memoryMiB: 1024 }
    steps: [{ shell: 'true' }]
`;

let tmp: string;
let suite: string;

beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'memharness-run-shard-'));
  suite = path.join(tmp, 'sharded.yaml');
  await fs.writeFile(suite, SUITE);
});

afterEach(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

async function run(overrides: Partial<RunSuitesOptions>) {
  const out: string[] = [];
  const info: string[] = [];
  const outcome = await runSuites({
    paths: [suite],
    kernels: [],
    reporters: ['json'],
    retries: 0,
    repeatEach: 1,
    workers: 1,
    filter: {},
    accel: 'tcg',
    stdout: { write: (text: string) => out.push(text), isTTY: false },
    progress: { info: (message) => info.push(message), step: (_label, work) => work() },
    ...overrides,
  });
  return { outcome, stdout: out.join(''), info };
}

describe('runSuites --shard', () => {
  it("--list prints which groups each shard got and their weights, then the shard's cases", async () => {
    const { outcome, stdout } = await run({ list: true, shard: { index: 2, total: 3 } });
    expect(outcome.exitCode).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^shards by guest group, weighed by case counts/);
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(/^ {2}shard 1\/3: 1 group\(s\), 3 case\(s\), [\d.]+ s$/),
      expect.stringMatching(/^ {4}default kernel › default guest \(sharded\): 3 case\(s\), [\d.]+ s$/),
      expect.stringMatching(/^ {2}shard 2\/3 \(this shard\): 1 group\(s\), 1 case\(s\), [\d.]+ s$/),
      expect.stringMatching(/^ {4}default kernel › guest memoryMiB=1024 \(sharded\): 1 case\(s\), [\d.]+ s$/),
      '  shard 3/3: no group',
      expect.stringMatching(/^note: default kernel › default guest \(sharded\) weighs [\d.]+ s, more than a shard's share/),
      'note: shard 3/3 got no guest group (2 group(s) for 3 shards): it runs nothing',
      'sharded/big',
      '1 case(s) in shard 2/3 of 4',
    ]);
  });

  it('--shard-durations: weighs the groups by a previous run', async () => {
    const previous = sampleRun({
      cases: ['small-1', 'small-2', 'small-3', 'big'].map((id) => ({ ...makeCase('passed', { caseId: id }), key: `sharded/${id}${id.startsWith('small') ? `?n=${id.at(-1)}` : ''}`, durationMs: id === 'big' ? 60_000 : 1_000 })),
    });
    const { stdout } = await run({ list: true, shard: { index: 1, total: 2 }, shardDurations: previous });
    expect(stdout).toMatch(new RegExp(`^shards by guest group, weighed by durations of run ${previous.runId}`));
    expect(stdout).toMatch(/shard 1\/2 \(this shard\): 1 group\(s\), 1 case\(s\), 64\.0 s\n/);
    expect(stdout).toMatch(/\nsharded\/big\n1 case\(s\) in shard 1\/2 of 4\n$/);
  });

  it('a shard that got no group runs nothing: exit 0, a note, and results merge can take', async () => {
    const output = path.join(tmp, 'shard-3');
    const { outcome, info } = await run({ shard: { index: 3, total: 3 }, output, reporters: ['list', 'json', 'junit', 'ktap', 'html', 'kcidb'] });
    expect(outcome.exitCode).toBe(0);
    expect(info).toContain('memharness: shard 3/3 got no guest group (2 group(s) for 3 shards): it runs nothing');
    const results = await readRunResult(output);
    expect(results).toMatchObject({ complete: true, interrupted: false, shard: { index: 3, total: 3 }, kernels: [], cases: [] });
  });

  it('an empty selection is still not a pass, sharded or not', async () => {
    const { outcome } = await run({ shard: { index: 1, total: 2 }, output: path.join(tmp, 'empty'), filter: { grep: /nothing-matches/ } });
    expect(outcome.exitCode).toBe(2);
  });
});
