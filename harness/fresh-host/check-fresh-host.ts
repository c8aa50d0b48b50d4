/**
 * `npm run check:fresh-host`: proves the README's first command on a new machine. A fresh
 * Debian bookworm root (debootstrap, stale package lists, no QEMU, empty kernel cache) gets a
 * clone of this repository's HEAD; inside it, the README's first command runs exactly as
 * written; then its results directory must be complete and valid, with report.html.
 *
 *   npm run check:fresh-host [-- --keep-root] [-- --command 'npm ci && npx memharness run --grep X']
 *
 * Root only (debootstrap, chroot, mounts). Prints the wall time of each phase, what the command
 * installed, and the run's verdicts; exit 0 when the results are complete and valid.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { isRoot } from '../host/apt-lists.ts';
import { ensureHostPackages, HOST_PACKAGES } from '../host/prerequisites.ts';
import { formatError } from '../util/errors.ts';
import { cacheDir, projectRoot } from '../util/paths.ts';
import { createProgress } from '../util/progress.ts';
import { readmeSetupCommands } from './readme-commands.ts';
import { ensureBaseTarball, makeFreshRoot, removeFreshRoot, type FreshRoot } from './fresh-root.ts';
import { verifyRunDir } from './verify-run-dir.ts';

const { values } = parseArgs({
  options: {
    'keep-root': { type: 'boolean', default: false },
    command: { type: 'string' },
    'min-cases': { type: 'string', default: '100' },
    'timeout-min': { type: 'string', default: '75' },
  },
});

const progress = createProgress();
const CLONE = '/root/memharness';

async function main(): Promise<number> {
  if (!isRoot()) {
    process.stderr.write('check:fresh-host needs root (debootstrap, chroot and mounts)\n');
    return 2;
  }
  const started = Date.now();
  const phases: Array<[string, number]> = [];
  const phase = async <T>(label: string, work: () => Promise<T>): Promise<T> => {
    const at = Date.now();
    try {
      return await progress.step(label, work);
    } finally {
      phases.push([label, Date.now() - at]);
    }
  };

  const readme = await fs.readFile(path.join(projectRoot, 'README.md'), 'utf8');
  const command = values.command ?? readmeSetupCommands(readme).main;
  await ensureHostPackages({ install: true, progress, packages: [{ name: 'debootstrap', why: 'makes the fresh Debian root' }] });
  const cache = path.join(cacheDir(), 'fresh-host');
  const tarball = await phase('base root (debootstrap, cached)', () => ensureBaseTarball(cache, progress));
  const dir = await fs.mkdtemp('/var/tmp/memharness-fresh-host-');
  let root: FreshRoot | null = null;
  const stop = new AbortController();
  const onSigint = (): void => stop.abort();
  process.on('SIGINT', onSigint);
  try {
    root = await phase('fresh root: unpack, stale lists, host Node.js and certificates', () => makeFreshRoot(tarball, dir, progress));
    const head = (await execa('git', ['-C', projectRoot, 'rev-parse', 'HEAD'])).stdout.trim();
    await phase(`clone ${head.slice(0, 12)} into the root`, () => execa('git', ['clone', '--quiet', projectRoot, path.join(dir, CLONE.slice(1))]));
    const packagesBefore = await dpkgPackages(dir);
    const listsBefore = await listNames(dir);

    progress.info(`\n$ ${command}    (in ${CLONE}, a fresh bookworm root)\n`);
    const log = path.join(cache, 'last-check.log');
    const commandAt = Date.now();
    const child = execa(
      'chroot',
      [dir, '/usr/bin/env', '-i', ...chrootEnv(), '/bin/bash', '-c', `cd ${CLONE} && ${command}`],
      { reject: false, all: true, stdin: 'ignore', timeout: Number(values['timeout-min']) * 60_000, cancelSignal: stop.signal, killSignal: 'SIGINT', forceKillAfterDelay: 30_000 },
    );
    // Live, as the user would see it; the whole output is kept in the log too.
    child.all?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    const result = await child;
    const commandMs = Date.now() - commandAt;
    phases.push(['the README command', commandMs]);
    await fs.writeFile(log, result.all ?? '');

    const installed = [...(await dpkgPackages(dir))].filter((p) => !packagesBefore.has(p));
    const listsAfter = await listNames(dir);
    const runDirs = await fs.readdir(path.join(dir, CLONE.slice(1), 'results')).catch(() => [] as string[]);
    const runs = runDirs.filter((name) => name !== 'README.md');
    const problems: string[] = [];
    if (result.exitCode !== 0 && result.exitCode !== 1) problems.push(`the command exited ${result.exitCode ?? result.signal}${result.timedOut ? ' (timed out)' : ''}`);
    if (runs.length !== 1) problems.push(`results/ holds ${runs.length} run directories (${runs.join(', ') || 'none'}), expected one`);
    const runDir = runs.length === 1 ? path.join(dir, CLONE.slice(1), 'results', runs[0]!) : null;
    const check = runDir ? await verifyRunDir(runDir, { minCases: Number(values['min-cases']), files: ['results.json', 'report.html'] }) : null;
    // The root goes when the check ends: its run directory is kept beside the log, to be read.
    const keptRun = path.join(cache, 'last-run');
    await fs.rm(keptRun, { recursive: true, force: true });
    if (runDir) await fs.cp(runDir, keptRun, { recursive: true });
    const keptLine = runDir ? `  run directory    ${keptRun}` : '  run directory    none was written';
    problems.push(...(check?.problems ?? []));

    const summary = {
      command,
      commit: head,
      exitCode: result.exitCode ?? null,
      wallMs: Date.now() - started,
      commandMs,
      phases: Object.fromEntries(phases),
      aptUpdated: listsAfter.filter((name) => !listsBefore.includes(name)),
      installedPackages: installed.length,
      installedHostPackages: installed.filter((p) => HOST_NAMES.has(p)),
      kernels: check?.run?.kernels.map((k) => k.release) ?? [],
      cases: check?.run?.cases.length ?? 0,
      verdicts: check?.verdicts ?? {},
      problems,
    };
    const out = path.join(cache, `last-check.json`);
    await fs.writeFile(out, `${JSON.stringify(summary, null, 2)}\n`);
    process.stdout.write(
      [
        '',
        `fresh host check: ${problems.length === 0 ? 'PASSED' : 'FAILED'}`,
        `  wall time        ${seconds(summary.wallMs)} (the README command: ${seconds(commandMs)})`,
        ...phases.map(([label, ms]) => `    ${seconds(ms).padStart(8)}  ${label}`),
        `  apt lists added  ${summary.aptUpdated.length} (${summary.aptUpdated.join(', ') || 'none: no apt-get update ran'})`,
        `  installed        ${installed.length} packages, among them ${summary.installedHostPackages.join(' ')}`,
        `  kernels          ${summary.kernels.join(', ') || 'none'}`,
        `  cases            ${summary.cases}: ${Object.entries(summary.verdicts).map(([v, n]) => `${n} ${v}`).join(', ')}`,
        ...problems.map((p) => `  problem: ${p}`),
        `  log              ${log}${values['keep-root'] ? `; the root is kept at ${dir}` : ''}`,
        `  summary          ${out}`,
        keptLine,
        '',
      ].join('\n'),
    );
    return problems.length === 0 ? 0 : 1;
  } finally {
    process.off('SIGINT', onSigint);
    if (root) await removeFreshRoot(root, values['keep-root']);
    else await fs.rm(dir, { recursive: true, force: true });
  }
}

const HOST_NAMES = new Set(HOST_PACKAGES.map((p) => p.name));

/** A login-like environment: nothing of this shell's leaks in but what every machine of this kind has. */
function chrootEnv(): string[] {
  const carried = ['NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'SSL_CERT_DIR'].filter((name) => process.env[name]).map((name) => `${name}=${process.env[name]}`);
  return ['HOME=/root', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'LANG=C.UTF-8', 'TERM=dumb', 'CI=1', ...carried];
}

async function dpkgPackages(dir: string): Promise<Set<string>> {
  const out = await execa('chroot', [dir, 'dpkg-query', '-W', '-f=${Package}\\n'], { reject: false });
  return new Set(out.stdout.split('\n').filter(Boolean));
}

async function listNames(dir: string): Promise<string[]> {
  const names = await fs.readdir(path.join(dir, 'var/lib/apt/lists')).catch(() => [] as string[]);
  return names.filter((name) => name.endsWith('InRelease'));
}

function seconds(ms: number): string {
  return ms >= 60_000 ? `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s` : `${(ms / 1000).toFixed(1)} s`;
}

try {
  process.exitCode = await main();
} catch (error) {
  process.stderr.write(`${formatError(error)}\n`);
  process.exitCode = 2;
}
