/**
 * npm run bench:restore-soak -- [--kernel K] [--restores 1000]
 *
 * One copy-on-write template, then that many restores in a row, each checked against the
 * template (nonce, clock, HardwareCorrupted: restoreGuest), given one command and shut down.
 * Samples the harness's own RSS, open descriptors and files left under its temp directory
 * every 50 restores, and prints the first and last samples: a leak shows as growth. Run with
 * `NODE_OPTIONS=--expose-gc` to see the heap after a full collection too.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { prepareLaunch } from '../launch/launch-guest.ts';
import { createProgress } from '../util/progress.ts';
import { Guest } from '../vm/guest.ts';
import { defaultGuestSpec } from '../vm/guest-spec.ts';
import { makeRamDir, privateMemoryKiB, removeRamDir } from '../vm/ram-dir.ts';
import { restoreGuest } from '../vm/restore-guest.ts';
import { saveSnapshot } from '../vm/snapshot.ts';

const { values } = parseArgs({ options: { kernel: { type: 'string', default: 'latest-6.12' }, restores: { type: 'string', default: '1000' } } });
const total = Number(values.restores);
const progress = createProgress();
const workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'memharness-restore-soak-'));
const spec = defaultGuestSpec();
const made = await makeRamDir('soak', spec.memoryMiB);
if (!('dir' in made)) throw new Error(made.unavailable);

interface Sample {
  restores: number;
  rssMiB: number;
  /** V8 heap after a full collection (run with node --expose-gc; else without one): RSS alone also counts heap V8 grew and did not give back. */
  heapMiB: number;
  openFds: number;
  tempFiles: number;
}

async function sample(restores: number): Promise<Sample> {
  const fds = (await fs.readdir('/proc/self/fd')).length;
  (globalThis as { gc?: () => void }).gc?.();
  const memory = process.memoryUsage();
  return { restores, rssMiB: Math.round(memory.rss / 2 ** 20), heapMiB: Math.round((memory.heapUsed / 2 ** 20) * 10) / 10, openFds: fds, tempFiles: await countFiles(workDir) };
}

async function countFiles(dir: string): Promise<number> {
  let count = 0;
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) count += entry.isDirectory() ? await countFiles(path.join(dir, entry.name)) : 1;
  return count;
}

const restoreMs: number[] = [];
const privateKiB: number[] = [];
const samples: Sample[] = [];
let mismatches = 0;
const failures: string[] = [];
try {
  const prepared = await prepareLaunch({ kernelRef: values.kernel, spec, accel: 'auto', runDir: workDir, progress });
  const template = await Guest.boot({ name: 'soak-template', spec, kernel: prepared.kernel, image: prepared.image, keys: prepared.keys, accel: prepared.accel.accel, machineDir: path.join(workDir, 'template'), ramDir: made.dir });
  const bootMs = template.timings.readyMs ?? 0;
  const snapshot = await saveSnapshot(template, path.join(workDir, 'soak.snapshot'));
  await template.shutdown(2_000);
  samples.push(await sample(0));
  for (let i = 1; i <= total; i++) {
    const started = Date.now();
    // One machine directory, reused: its console log and QMP socket are per restore anyway.
    const machineDir = path.join(workDir, 'restore');
    try {
      const guest = await restoreGuest(snapshot, { machineDir, name: 'soak-restore' });
      restoreMs.push(Date.now() - started);
      const result = await guest.exec('cat /proc/meminfo > /dev/null', { timeoutMs: 30_000 });
      if (result.exitCode !== 0) failures.push(`restore ${i}: exit ${result.exitCode}`);
      if (i % 50 === 0) privateKiB.push((await privateMemoryKiB(guest.machine.pid)) ?? -1);
      await guest.shutdown(2_000);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (/restore check failed/.test(message)) mismatches += 1;
      failures.push(`restore ${i}: ${message.split('\n')[0]}`);
    }
    await fs.rm(machineDir, { recursive: true, force: true });
    if (i % 50 === 0) {
      samples.push(await sample(i));
      progress.info(`${i}/${total} restores; median ${median(restoreMs)} ms; rss ${samples.at(-1)!.rssMiB} MiB, ${samples.at(-1)!.openFds} fds, ${samples.at(-1)!.tempFiles} temp files`);
    }
  }
  const first = samples[1] ?? samples[0]!;
  const last = samples.at(-1)!;
  process.stdout.write(
    [
      `restore soak: ${total} copy-on-write restores of one ${prepared.kernel.release} template (${prepared.accel.accel})`,
      `  boot to SSH-ready        ${bootMs} ms (the template)`,
      `  restore to SSH-ready     median ${median(restoreMs)} ms, p95 ${percentile(restoreMs, 0.95)} ms, max ${Math.max(...restoreMs)} ms; ratio to the boot ${(median(restoreMs) / bootMs).toFixed(3)}`,
      `  private memory per guest median ${Math.round(median(privateKiB.filter((k) => k >= 0)) / 1024)} MiB`,
      `  harness RSS              ${first.rssMiB} MiB after ${first.restores} → ${last.rssMiB} MiB after ${last.restores}`,
      `  harness heap${(globalThis as { gc?: unknown }).gc ? ' (after GC)' : ' (no --expose-gc)'}  ${first.heapMiB} MiB → ${last.heapMiB} MiB`,
      `  open descriptors         ${first.openFds} → ${last.openFds}`,
      `  files in its temp dir    ${first.tempFiles} → ${last.tempFiles}`,
      `  restore mismatches       ${mismatches}; failures ${failures.length}${failures.length ? `: ${failures.slice(0, 5).join(' | ')}` : ''}`,
      '',
    ].join('\n'),
  );
} finally {
  await removeRamDir(made.dir);
  await fs.rm(workDir, { recursive: true, force: true });
}

function median(values: number[]): number {
  return percentile(values, 0.5);
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}
