import { execa, type Options } from 'execa';
import { HarnessError, type ErrorKind } from '../util/errors.ts';

/** Debian package that provides each host tool, for the "install it" hint. */
const PROVIDED_BY: Record<string, string> = {
  'apt-get': 'apt',
  'apt-cache': 'apt',
  'dpkg-deb': 'dpkg',
  depmod: 'kmod',
  xz: 'xz-utils',
  zstd: 'zstd',
  gzip: 'gzip',
  bzip2: 'bzip2',
  lz4: 'lz4',
  make: 'make',
};

export interface ToolRun {
  /** What the run is for, in words that fit "failed to ...". */
  purpose: string;
  /** Whose fault a non-zero exit is. */
  failureKind?: ErrorKind;
  cwd?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}

/**
 * Runs a host tool with an argument vector (never a shell string) and turns its failures
 * into errors a person can act on: a missing binary becomes a 'prerequisite' error naming the
 * package to install, a non-zero exit quotes the end of the tool's stderr.
 */
export async function runTool(file: string, args: readonly string[], run: ToolRun): Promise<string> {
  const options: Options = {
    reject: false,
    stdin: 'ignore',
    timeout: run.timeoutMs ?? 10 * 60_000,
    ...(run.cwd === undefined ? {} : { cwd: run.cwd }),
    ...(run.env === undefined ? {} : { env: run.env }),
  };
  const result = await execa(file, args, options);
  if (result.code === 'ENOENT') throw missingTool(file, run.purpose);
  if (result.failed) {
    const stderr = String(result.stderr ?? '').trim();
    const tail = stderr.split('\n').slice(-8).join('\n');
    const why = result.timedOut ? 'timed out' : `exited with ${result.exitCode ?? result.signal ?? 'an error'}`;
    throw new HarnessError(
      run.failureKind ?? 'prerequisite',
      `failed to ${run.purpose}: ${file} ${why}${tail ? `:\n${tail}` : ''}`,
    );
  }
  return String(result.stdout ?? '');
}

export function missingTool(file: string, purpose: string): HarnessError {
  const pkg = PROVIDED_BY[file];
  return new HarnessError('prerequisite', `cannot ${purpose}: '${file}' is not installed`, {
    hint: pkg ? `install it: apt-get install ${pkg}` : `install ${file}`,
  });
}
