import fs from 'node:fs/promises';
import { execa } from 'execa';
import { HarnessError } from '../util/errors.ts';

/** A library a dynamically linked binary needs, where the guest's loader will look for it. */
export interface SharedLibrary {
  /** Path the loader uses (as ldd reports it), used unchanged inside the guest. */
  guestPath: string;
  /** Where the content really is on the host (symlinks resolved). */
  hostPath: string;
}

/**
 * Parses `ldd` output. Lines look like
 *   libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)
 *   /lib64/ld-linux-x86-64.so.2 (0x...)        <- the ELF loader
 *   linux-vdso.so.1 (0x...)                    <- provided by the kernel, nothing to copy
 *   libfoo.so.1 => not found
 */
export function parseLddOutput(binary: string, output: string): string[] {
  const paths: string[] = [];
  for (const rawLine of output.split('\n')) {
    const line = rawLine.trim();
    if (line === '' || line.includes('statically linked') || line.includes('not a dynamic executable')) continue;
    const arrow = line.indexOf('=>');
    if (arrow >= 0) {
      const target = line.slice(arrow + 2).trim();
      if (target.startsWith('not found')) {
        throw new HarnessError('prerequisite', `${binary} needs ${line.slice(0, arrow).trim()}, which is not installed on the host`, {
          hint: 'install the package that provides it, or repair the package of ' + binary,
        });
      }
      const file = target.replace(/\s*\(0x[0-9a-f]+\)$/, '');
      if (file.startsWith('/')) paths.push(file);
    } else if (line.startsWith('/')) {
      paths.push(line.replace(/\s*\(0x[0-9a-f]+\)$/, ''));
    }
  }
  return paths;
}

export async function resolveSharedLibraries(binary: string): Promise<SharedLibrary[]> {
  const result = await execa('ldd', [binary], { reject: false, env: { LC_ALL: 'C' } });
  // ldd exits 1 for static binaries, printing "not a dynamic executable".
  if (result.exitCode !== 0 && !`${result.stdout}${result.stderr}`.includes('not a dynamic executable')) {
    throw new HarnessError('prerequisite', `ldd ${binary} failed: ${result.stderr.trim() || `exit ${result.exitCode}`}`);
  }
  const libraries: SharedLibrary[] = [];
  for (const guestPath of parseLddOutput(binary, result.stdout)) {
    libraries.push({ guestPath, hostPath: await fs.realpath(guestPath) });
  }
  return libraries;
}
