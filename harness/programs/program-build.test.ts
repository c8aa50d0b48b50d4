import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSuitePrograms } from './check-programs.ts';
import { classifyProgramFile, compileArgs, firstCompilerErrors, prepareProgram, ProgramBuildError, programHash } from './program-build.ts';
import { parseSuite } from '../suite/load-suite.ts';
import { formatProblem } from '../suite/problems.ts';

let dir: string;
let cache: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mh-programs-'));
  cache = path.join(dir, 'cache');
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function write(name: string, content: string | Buffer, mode = 0o644): Promise<string> {
  const file = path.join(dir, name);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, content, { mode });
  return file;
}

const THREADS = `#include <pthread.h>
#include <stdio.h>
static void *run(void *arg) { return arg; }
int main(void) { pthread_t t; pthread_create(&t, 0, run, 0); pthread_join(t, 0); puts("ok"); return 0; }
`;

describe('classifyProgramFile', () => {
  it('tells a C file, a script and a static binary apart, and refuses the rest with the fix', async () => {
    expect(await classifyProgramFile(await write('a.c', 'int main(void){return 0;}\n'))).toBe('c');
    expect(await classifyProgramFile(await write('s', '#!/bin/sh\necho hi\n', 0o755))).toBe('script');
    const source = await write('static.c', 'int main(void){return 0;}\n');
    execFileSync('gcc', ['-static', '-o', path.join(dir, 'static'), source]);
    expect(await classifyProgramFile(path.join(dir, 'static'))).toBe('static-binary');
    execFileSync('gcc', ['-o', path.join(dir, 'dynamic'), source]);
    await expect(classifyProgramFile(path.join(dir, 'dynamic'))).rejects.toThrow(/dynamically linked .*link it with -static/);
    await expect(classifyProgramFile(await write('text', 'echo hi\n'))).rejects.toThrow(/neither a C file \(\.c\), a script .* nor a static ELF binary/);
    await expect(classifyProgramFile(path.join(dir, 'missing.c'))).rejects.toThrow(/no such file/);
  });
});

describe('prepareProgram', () => {
  it('compiles a C file static, with -lpthread working, once per content and flags', async () => {
    const source = await write('threads/threads.c', THREADS);
    const first = await prepareProgram({ file: source, cflags: ['-lpthread'], cacheDir: cache });
    expect(first).toMatchObject({ kind: 'c', compiled: true });
    expect(first.binary.startsWith(path.join(cache, 'programs', 'threads-'))).toBe(true);
    expect(execFileSync(first.binary).toString()).toBe('ok\n');
    expect(execFileSync('file', [first.binary]).toString()).toMatch(/statically linked/);

    // The same content and flags: the cache, even from another process's point of view.
    expect(await prepareProgram({ file: source, cflags: ['-lpthread'], cacheDir: cache })).toEqual({ ...first, compiled: false });
    // Other flags, other content, another header beside it: each a new entry.
    const otherFlags = await prepareProgram({ file: source, cflags: ['-lpthread', '-O0'], cacheDir: cache });
    expect(otherFlags.hash).not.toBe(first.hash);
    await fs.writeFile(source, `${THREADS}/* changed */\n`);
    const otherContent = await prepareProgram({ file: source, cflags: ['-lpthread'], cacheDir: cache });
    expect(otherContent.hash).not.toBe(first.hash);
    await write('threads/extra.h', '#define X 1\n');
    expect((await prepareProgram({ file: source, cflags: ['-lpthread'], cacheDir: cache })).hash).not.toBe(otherContent.hash);
  });

  it('keys the cache on the recipe, the flags in order, the compiler and the sources', async () => {
    const source = await write('key/k.c', 'int main(void){return 0;}\n');
    const digest = async (flags: string[], compiler = 'gcc 12') => (await programHash(source, flags, compiler)).digest();
    expect(await digest(['-O0'])).toBe(await digest(['-O0']));
    expect(await digest(['-O0', '-g'])).not.toBe(await digest(['-g', '-O0']));
    expect(await digest(['-O0'])).not.toBe(await digest(['-O0'], 'gcc 13'));
    expect((await programHash(source, [], 'gcc 12')).inputs.map((input) => input.label)).toEqual(['recipe', 'cflags', 'gcc', 'defaults', 'k.c']);
  });

  it('gives a script or a static binary as it is', async () => {
    const script = await write('run.sh', '#!/bin/sh\necho hi\n', 0o755);
    expect(await prepareProgram({ file: script, cflags: null, cacheDir: cache })).toEqual({ kind: 'script', binary: script, hash: null, compiled: false });
  });

  it('says why a program does not compile, with the compiler\'s first errors, and caches nothing', async () => {
    const source = await write('broken/broken.c', '#include <stdio.h>\nint main(void) { printf("x\\n") return 0; }\n');
    const error = await prepareProgram({ file: source, cflags: [], cacheDir: cache }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProgramBuildError);
    expect((error as Error).message).toMatch(/broken\.c does not compile \(gcc -static -o OUT .*broken\.c -O2 -pthread\):\n.*broken\.c:2:\d+: error: expected ';' before 'return'|broken\.c:2:\d+: error: expected ‘;’ before ‘return’/);
    expect(await fs.readdir(path.join(cache, 'programs')).then((names) => names.filter((name) => name.startsWith('broken-') && !name.endsWith('.lock')))).toEqual([]);
  });
});

describe('compileArgs and firstCompilerErrors', () => {
  it('puts the source before the flags, so -l flags link', () => {
    expect(compileArgs('p.c', 'out', ['-lpthread', '-DX=1'])).toEqual(['-static', '-o', 'out', 'p.c', '-O2', '-pthread', '-lpthread', '-DX=1']);
  });

  it('starts at the first error and keeps a few lines', () => {
    const output = ['p.c: In function main:', 'p.c:2:1: warning: unused', 'p.c:3:1: error: one', ...Array.from({ length: 20 }, (_, i) => `more ${i}`)].join('\n');
    const shown = firstCompilerErrors(output, 4);
    expect(shown.split('\n')).toEqual(['p.c:2:1: warning: unused', 'p.c:3:1: error: one', 'more 0', 'more 1', '… (18 more lines)']);
  });
});

describe('checkSuitePrograms', () => {
  it('reports a program that cannot be prepared at its step, once per file and flags', async () => {
    const suiteFile = await write('suite/s.yaml', '');
    const yaml = [
      'suite: s',
      'title: t',
      'cases:',
      '  - id: a',
      '    title: t',
      '    steps:',
      '      - program: programs/missing.c',
      '      - program: { path: programs/ok.sh, name: ok }',
      '  - id: b',
      '    title: t',
      '    steps:',
      '      - program: programs/missing.c',
      '',
    ].join('\n');
    await write('suite/programs/ok.sh', '#!/bin/sh\n', 0o755);
    const loaded = parseSuite(yaml, suiteFile);
    if (!loaded.ok) throw new Error(loaded.problems.map(formatProblem).join('\n'));
    const problems = await checkSuitePrograms([loaded.suite], { cacheDir: cache });
    expect(problems.map(formatProblem)).toEqual([`${suiteFile}:7:9: program programs/missing.c: no such file: ${path.join(dir, 'suite/programs/missing.c')}`]);
  });
});
