import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * Where a copy-on-write template keeps its boot RAM: a directory on tmpfs (/dev/shm), one per
 * guest group, named after this process so directories that a killed run left behind can be
 * told from live ones and removed.
 */
const SHM = '/dev/shm';
const PREFIX = 'memharness-ram-';

/**
 * A fresh directory for a template of `memoryMiB`, or null (with why) where copy-on-write
 * cannot be had: no tmpfs at /dev/shm, or less free room than the guest's RAM (a template
 * writes at most its RAM; the restores' own writes are private and take no room there).
 */
export async function makeRamDir(group: string, memoryMiB: number): Promise<{ dir: string } | { unavailable: string }> {
  const stat = await fs.statfs(SHM).catch(() => null);
  if (!stat) return { unavailable: `${SHM} is missing: snapshots copy the whole RAM instead of sharing it` };
  const freeMiB = (stat.bavail * stat.bsize) / 2 ** 20;
  if (freeMiB < memoryMiB) return { unavailable: `${SHM} has ${Math.floor(freeMiB)} MiB free, less than the guest's ${memoryMiB} MiB: snapshots copy the whole RAM instead` };
  await removeStaleRamDirs();
  const dir = await fs.mkdtemp(path.join(SHM, `${PREFIX}${process.pid}-${group.replace(/[^A-Za-z0-9_-]/g, '_')}-`));
  return { dir };
}

export async function removeRamDir(dir: string): Promise<void> {
  if (!path.basename(dir).startsWith(PREFIX)) throw new Error(`not a RAM directory of this harness: ${dir}`);
  await fs.rm(dir, { recursive: true, force: true });
}

/** Directories of processes that are gone (a run killed with SIGKILL cannot clean up after itself). */
async function removeStaleRamDirs(): Promise<void> {
  const names = await fs.readdir(SHM).catch(() => [] as string[]);
  for (const name of names) {
    const pid = Number(/^memharness-ram-(\d+)-/.exec(name)?.[1]);
    if (!Number.isInteger(pid) || pid === process.pid || isAlive(pid)) continue;
    await fs.rm(path.join(SHM, name), { recursive: true, force: true }).catch(() => undefined);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Private memory of a QEMU (what it does not share with the template or other guests), in KiB; null when unreadable. */
export async function privateMemoryKiB(pid: number): Promise<number | null> {
  const text = await fs.readFile(`/proc/${pid}/smaps_rollup`, 'utf8').catch(() => null);
  if (text === null) return null;
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  const total = field('Private_Clean') + field('Private_Dirty');
  return Number.isFinite(total) ? total : null;
}
