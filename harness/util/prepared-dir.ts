import fs from 'node:fs/promises';
import path from 'node:path';
import lockfile from 'proper-lockfile';

const COMPLETE_MARKER = '.complete';

/**
 * Makes `finalDir` exist with complete contents, built at most once even when several
 * harness processes ask for it at the same time. The builder writes into a private
 * temporary directory which is renamed into place only when it succeeded, so a crash or
 * Ctrl-C mid-build never leaves a half-built cache entry that a later run would trust.
 * Returns true when this call built it.
 */
export async function ensurePreparedDir(
  finalDir: string,
  build: (workDir: string) => Promise<void>,
): Promise<boolean> {
  if (await isComplete(finalDir)) return false;
  await fs.mkdir(path.dirname(finalDir), { recursive: true });
  const release = await lockfile.lock(finalDir, {
    realpath: false,
    lockfilePath: `${finalDir}.lock`,
    // A peer may spend minutes downloading; keep waiting while its lock stays fresh.
    stale: 30_000,
    update: 5_000,
    retries: { retries: 1_000, factor: 1.2, minTimeout: 100, maxTimeout: 2_000 },
  });
  try {
    if (await isComplete(finalDir)) return false;
    const workDir = `${finalDir}.tmp-${process.pid}`;
    await fs.rm(workDir, { recursive: true, force: true });
    await fs.mkdir(workDir, { recursive: true });
    try {
      await build(workDir);
      await fs.writeFile(path.join(workDir, COMPLETE_MARKER), new Date().toISOString());
      await fs.rm(finalDir, { recursive: true, force: true });
      await fs.rename(workDir, finalDir);
    } catch (error) {
      await fs.rm(workDir, { recursive: true, force: true });
      throw error;
    }
    return true;
  } finally {
    await release();
  }
}

export async function isComplete(dir: string): Promise<boolean> {
  try {
    await fs.access(path.join(dir, COMPLETE_MARKER));
    return true;
  } catch {
    return false;
  }
}
