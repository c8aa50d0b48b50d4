import { describe, expect, it } from 'vitest';
import { makeCase, sampleRun } from '../reporters/testing/sample-run.ts';
import { rebaseArtifacts } from './rebase-artifacts.ts';

describe('rebaseArtifacts', () => {
  it('makes artifact paths relative to the new directory, keeping absolute ones', () => {
    const run = sampleRun({
      cases: [makeCase('failed', { artifacts: { console: 'cases/001-a/attempt-1/console.log', dmesg: '/abs/dmesg.txt' } }), makeCase('skipped')],
    });
    const rebased = rebaseArtifacts(run, '/runs/shard-1', '/runs/merged');
    expect(rebased.cases.map((result) => result.artifacts)).toEqual([{ console: '../shard-1/cases/001-a/attempt-1/console.log', dmesg: '/abs/dmesg.txt' }, {}]);
    expect(run.cases[0]!.artifacts.console).toBe('cases/001-a/attempt-1/console.log');
    expect(rebaseArtifacts(run, '/runs/x', '/runs/x/')).toBe(run);
  });
});
