import fs from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { ContentHash } from '../image/content-hash.ts';
import { isStaticElf, requireHostTool } from '../image/host-tools.ts';
import { HarnessError } from '../util/errors.ts';
import { ensurePreparedDir } from '../util/prepared-dir.ts';

/** Bumped when the way a program is compiled changes, so old cache entries are not reused. */
export const PROGRAM_RECIPE_VERSION = 'program-1';

/**
 * How a C program is compiled: static (the guest has no C library to link against), with the
 * helper's toolchain, the source first so that `-l` flags in cflags come after it. `-pthread`
 * and `-O2` are defaults a program's cflags may override (`-O0`); syzbot's reproducers build
 * unchanged (`-lpthread` is accepted).
 */
export function compileArgs(source: string, output: string, cflags: readonly string[]): string[] {
  return ['-static', '-o', output, source, '-O2', '-pthread', ...cflags];
}

/** A program file as the guest gets it. */
export type ProgramKind = 'c' | 'script' | 'static-binary';

export class ProgramBuildError extends HarnessError {
  constructor(
    message: string,
    /** The compiler's output, when it ran. */
    readonly compilerOutput: string | null = null,
  ) {
    super('usage', message);
  }
}

export interface ProgramFile {
  kind: ProgramKind;
  /** What the guest gets: the compiled binary for a C file, else the file itself. */
  binary: string;
  /** Cache key of a compiled program (the hash of what it is built from); null when copied as is. */
  hash: string | null;
  /** True when this call ran the compiler (not a cache hit). */
  compiled: boolean;
}

/**
 * What a program file is, from its name and first bytes: a C file (`.c`), a script (`#!`), a
 * static ELF executable; anything else (a dynamically linked binary: the guest has no shared
 * C library) is refused with the fix.
 */
export async function classifyProgramFile(file: string): Promise<ProgramKind> {
  let head: Buffer;
  try {
    const handle = await fs.open(file, 'r');
    try {
      head = Buffer.alloc(4);
      const { bytesRead } = await handle.read(head, 0, 4, 0);
      head = head.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ProgramBuildError(code === 'ENOENT' ? `no such file: ${file}` : code === 'EISDIR' ? `${file} is a directory, not a program` : `cannot read ${file}: ${(error as Error).message}`);
  }
  if (file.endsWith('.c')) return 'c';
  if (head.subarray(0, 2).toString('latin1') === '#!') return 'script';
  if (head.length === 4 && head.readUInt32BE(0) === 0x7f454c46) {
    if (await isStaticElf(file)) return 'static-binary';
    throw new ProgramBuildError(`${file} is a dynamically linked (or not x86-64) ELF binary; the guest has no C library for it: link it with -static, or give the C file (.c) and the harness compiles it`);
  }
  throw new ProgramBuildError(`${file} is neither a C file (.c), a script (a first line #!...) nor a static ELF binary`);
}

/**
 * The cache key of a compiled program: the recipe, the flags, the compiler, the source, and
 * the headers beside it (`*.h` in its directory, which `#include "x.h"` finds).
 */
export async function programHash(source: string, cflags: readonly string[], compiler: string): Promise<ContentHash> {
  const hash = new ContentHash().add('recipe', PROGRAM_RECIPE_VERSION).add('cflags', cflags.join('\u0000')).add('gcc', compiler).add('defaults', compileArgs('SOURCE', 'OUTPUT', []).join(' '));
  await hash.addFile(path.basename(source), source);
  const dir = path.dirname(source);
  const headers = (await fs.readdir(dir)).filter((name) => name.endsWith('.h')).sort();
  for (const header of headers) await hash.addFile(`include/${header}`, path.join(dir, header));
  return hash;
}

/** The lines of a compiler's output worth showing: its errors first, at most `max` lines. */
export function firstCompilerErrors(output: string, max = 12): string {
  const lines = output.split('\n').filter((line) => line.trim() !== '');
  const firstError = lines.findIndex((line) => /\berror\b|undefined reference|cannot find/.test(line));
  const from = firstError < 0 ? 0 : Math.max(0, firstError - 1);
  const shown = lines.slice(from, from + max);
  const more = lines.length - from - shown.length;
  return `${shown.join('\n')}${more > 0 ? `\n… (${more} more lines)` : ''}`;
}

let compilerVersion: Promise<{ gcc: string; version: string }> | null = null;
/** gcc and its version line, once per process. */
function hostCompiler(): Promise<{ gcc: string; version: string }> {
  compilerVersion ??= (async () => {
    const gcc = await requireHostTool('gcc', 'gcc libc6-dev');
    const { stdout } = await execa(gcc, ['--version']);
    return { gcc, version: stdout.split('\n')[0] ?? '' };
  })();
  compilerVersion.catch(() => {
    compilerVersion = null;
  });
  return compilerVersion;
}

/** Builds in flight in this process, by cache key: a case's expansions checked side by side wait for one compiler run. */
const inFlight = new Map<string, Promise<ProgramFile>>();

/**
 * The file a program step puts into the guest. A C file is compiled on the host, static, and
 * cached by content hash in `<cacheDir>/programs/<name>-<hash>/` (built once even across
 * processes, never half-built); a compile error is a ProgramBuildError with the compiler's
 * first errors. Scripts and static binaries are used as they are.
 */
export async function prepareProgram(options: { file: string; cflags: readonly string[] | null; cacheDir: string }): Promise<ProgramFile> {
  const kind = await classifyProgramFile(options.file);
  if (kind !== 'c') return { kind, binary: options.file, hash: null, compiled: false };
  const { gcc, version } = await hostCompiler();
  const cflags = options.cflags ?? [];
  const hash = await programHash(options.file, cflags, version);
  const key = `${options.cacheDir}\u0000${hash.digest()}`;
  let pending = inFlight.get(key);
  if (!pending) {
    pending = compileCached(options.file, cflags, gcc, hash, options.cacheDir);
    inFlight.set(key, pending);
    void pending.finally(() => inFlight.delete(key)).catch(() => undefined);
  }
  return pending;
}

async function compileCached(source: string, cflags: readonly string[], gcc: string, hash: ContentHash, cacheDir: string): Promise<ProgramFile> {
  const name = path.basename(source, '.c').replace(/[^A-Za-z0-9_.-]/g, '_');
  const dir = path.join(cacheDir, 'programs', `${name}-${hash.digest()}`);
  const built = await ensurePreparedDir(dir, async (workDir) => {
    // The source as the user sees it (relative to here), so the compiler's messages point at it.
    const relative = path.relative(process.cwd(), source);
    const shown = relative && !relative.startsWith('..') ? relative : source;
    const result = await execa(gcc, compileArgs(shown, path.join(workDir, 'program'), cflags), { reject: false, all: true, timeout: 180_000 });
    if (result.exitCode !== 0) {
      const output = result.all ?? '';
      const staticLibcMissing = /cannot find -lc\b/.test(output);
      throw new ProgramBuildError(
        `${shown} does not compile (gcc ${compileArgs(shown, 'OUT', cflags).join(' ')})${staticLibcMissing ? '; static linking needs the C library archive: sudo apt-get install libc6-dev' : ''}:\n${firstCompilerErrors(output)}`,
        output,
      );
    }
    await fs.writeFile(path.join(workDir, 'inputs.json'), `${JSON.stringify({ program: source, hash: hash.digest(), cflags, inputs: hash.inputs }, null, 2)}\n`);
  });
  return { kind: 'c', binary: path.join(dir, 'program'), hash: hash.digest(), compiled: built };
}
