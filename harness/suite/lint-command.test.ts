import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerLintCommand } from '../cli/commands/lint.ts';

const GOOD = `suite: good
title: Good
cases:
  - id: c-\${m}
    title: t
    parameters: { m: [debugfs, mce-srao] }
    steps:
      - target: { name: t0, kind: anon }
      - inject: { method: '\${m}', target: t0 }
`;

const BAD = `suite: bad
title: Bad
cases:
  - id: c
    title: t
    steps:
      - target: { name: t0, kind: anonn }
`;

async function lint(args: string[]): Promise<{ stdout: string; stderr: string; exitCode: number | undefined }> {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true));
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (err.push(String(chunk)), true));
  const before = process.exitCode;
  process.exitCode = undefined;
  try {
    const program = new Command('memharness').exitOverride();
    registerLintCommand(program);
    await program.parseAsync(['node', 'memharness', 'lint', ...args]);
    return { stdout: out.join(''), stderr: err.join(''), exitCode: process.exitCode === undefined ? undefined : Number(process.exitCode) };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
    process.exitCode = before;
  }
}

describe('memharness lint', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('prints a one-line summary for good suites', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'mh-lint-'));
    writeFileSync(path.join(dir, 'good.yaml'), GOOD);
    expect(await lint([dir])).toEqual({ stdout: '1 suite, 2 cases after expansion (1 case as written)\n', stderr: '', exitCode: undefined });
  });

  it('prints file:line:col: message for each problem and exits 2', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'mh-lint-'));
    writeFileSync(path.join(dir, 'good.yaml'), GOOD);
    writeFileSync(path.join(dir, 'bad.yaml'), BAD);
    writeFileSync(path.join(dir, 'dup.yml'), GOOD);
    const result = await lint([dir]);
    expect(result.stdout.split('\n')).toEqual([
      `${path.join(dir, 'bad.yaml')}:7:35: cases[0].steps[0].target.kind: expected one of free, free-movable, slab, hugetlb-free, anon, anon-shared, shmem, mlocked, thp, hugetlb, pagecache-clean, pagecache-dirty, tmpfs-clean, tmpfs-dirty, got 'anonn'; did you mean 'anon'?`,
      `${path.join(dir, 'good.yaml')}:1:8: duplicate suite id 'good' (also at ${path.join(dir, 'dup.yml')}:1:8)`,
      '',
    ]);
    expect(result.stderr).toBe('2 problems in 2 files\n');
    expect(result.exitCode).toBe(2);
  });

  it('lists every expanded case with --list', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'mh-lint-'));
    writeFileSync(path.join(dir, 'good.yaml'), GOOD);
    expect((await lint(['--list', path.join(dir, 'good.yaml')])).stdout).toBe('good/c-debugfs\ngood/c-mce-srao\n1 suite, 2 cases after expansion (1 case as written)\n');
  });

  it('reports a path that does not exist', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'mh-lint-'));
    const missing = path.join(dir, 'nope.yaml');
    const result = await lint([missing]);
    expect(result.stdout).toBe(`${missing}:1:1: no such file or directory\n`);
    expect(result.exitCode).toBe(2);
  });
});
