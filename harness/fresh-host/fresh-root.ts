import fs from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { tailOf } from '../host/apt-lists.ts';
import { HarnessError } from '../util/errors.ts';
import type { Progress } from '../util/progress.ts';

/**
 * A fresh Debian bookworm root, as a new machine has it: `debootstrap --variant=minbase`, the
 * sources a Debian install writes (main, -updates, -security), but package lists as old as a
 * machine image's (only bookworm main, 90 days old), no QEMU, no kernel cache. What every
 * machine of this kind has before a project runs is carried in from the host: its Node.js
 * (Debian 12's is 18), the CA certificates and npm's global configuration.
 */

export const MIRROR = 'http://deb.debian.org/debian';
const SECURITY_MIRROR = 'http://deb.debian.org/debian-security';

/** The debootstrap output, kept as a tarball: a root is unpacked afresh from it every time. */
export async function ensureBaseTarball(cache: string, progress: Progress): Promise<string> {
  const tarball = path.join(cache, 'bookworm-minbase.tar');
  if (await fs.stat(tarball).then((s) => s.size > 0, () => false)) return tarball;
  await fs.mkdir(cache, { recursive: true });
  const staging = await fs.mkdtemp(path.join(cache, 'debootstrap-'));
  try {
    await progress.step('debootstrap --variant=minbase bookworm (once; kept as a tarball)', () =>
      run('debootstrap', ['--variant=minbase', 'bookworm', staging, MIRROR], 20 * 60_000),
    );
    await run('tar', ['-C', staging, '-cf', `${tarball}.tmp`, '.'], 10 * 60_000);
    await fs.rename(`${tarball}.tmp`, tarball);
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
  return tarball;
}

export interface FreshRoot {
  dir: string;
  /** Mount points made under dir, innermost last: unmounted in reverse. */
  mounts: string[];
}

/** Unpacks a root, makes its apt lists stale, and carries in what every machine has. */
export async function makeFreshRoot(tarball: string, dir: string, progress: Progress): Promise<FreshRoot> {
  await fs.mkdir(dir, { recursive: true });
  await progress.step('unpacking the fresh root', () => run('tar', ['-C', dir, '-xf', tarball], 10 * 60_000));
  await fs.writeFile(
    path.join(dir, 'etc/apt/sources.list'),
    [`deb ${MIRROR} bookworm main`, `deb ${MIRROR} bookworm-updates main`, `deb ${SECURITY_MIRROR} bookworm-security main`, ''].join('\n'),
  );
  await makeListsStale(path.join(dir, 'var/lib/apt/lists'), 90);
  await carryInHostBasics(dir);
  const root: FreshRoot = { dir, mounts: [] };
  for (const [source, target, args] of [
    ['proc', 'proc', ['-t', 'proc']],
    ['sysfs', 'sys', ['-t', 'sysfs']],
    ['/dev', 'dev', ['--rbind']],
  ] as const) {
    const point = path.join(dir, target);
    await fs.mkdir(point, { recursive: true });
    await run('mount', [...args, source, point], 60_000);
    root.mounts.push(point);
  }
  return root;
}

/** Lists that hold only what debootstrap fetched (bookworm main), dated as an old machine image's. */
async function makeListsStale(listsDir: string, days: number): Promise<void> {
  const when = new Date(Date.now() - days * 24 * 3600_000);
  const names = await fs.readdir(listsDir).catch(() => [] as string[]);
  for (const name of names) await fs.utimes(path.join(listsDir, name), when, when).catch(() => {});
  await fs.utimes(listsDir, when, when);
}

async function carryInHostBasics(dir: string): Promise<void> {
  const copies: Array<[string, string]> = [
    ['/usr/bin/node', 'usr/bin/node'],
    ['/usr/lib/node_modules/npm', 'usr/lib/node_modules/npm'],
    ['/usr/etc/npmrc', 'usr/etc/npmrc'],
    ['/usr/local/share/ca-certificates', 'usr/local/share/ca-certificates'],
    ['/etc/ssl/certs', 'etc/ssl/certs'],
    ['/etc/resolv.conf', 'etc/resolv.conf'],
  ];
  for (const [from, to] of copies) {
    if (!(await fs.stat(from).then(() => true, () => false))) continue;
    const target = path.join(dir, to);
    await fs.mkdir(path.dirname(target), { recursive: true });
    await fs.rm(target, { recursive: true, force: true });
    await fs.cp(from, target, { recursive: true, dereference: true });
  }
  for (const [name, cli] of [['npm', 'npm-cli.js'], ['npx', 'npx-cli.js']] as const) {
    const link = path.join(dir, 'usr/bin', name);
    await fs.rm(link, { force: true });
    await fs.symlink(`../lib/node_modules/npm/bin/${cli}`, link);
  }
}

/** Unmounts what makeFreshRoot mounted (lazily: a child may still hold /dev) and removes the root. */
export async function removeFreshRoot(root: FreshRoot, keep: boolean): Promise<void> {
  for (const point of [...root.mounts].reverse()) {
    await execa('umount', ['-R', '-l', point], { reject: false });
  }
  root.mounts = [];
  const stillMounted = (await fs.readFile('/proc/self/mounts', 'utf8')).split('\n').some((line) => line.split(' ')[1]?.startsWith(`${root.dir}/`));
  if (stillMounted) throw new HarnessError('prerequisite', `something is still mounted under ${root.dir}: not removing it`);
  if (!keep) await fs.rm(root.dir, { recursive: true, force: true });
}

async function run(file: string, args: readonly string[], timeoutMs: number): Promise<void> {
  const result = await execa(file, args, { reject: false, all: true, timeout: timeoutMs, stdin: 'ignore' });
  if (result.exitCode !== 0) {
    throw new HarnessError('prerequisite', `${file} ${args.join(' ')} failed (${result.timedOut ? 'timed out' : `exit ${result.exitCode ?? result.signal}`}):\n${tailOf(result.all)}`);
  }
}
