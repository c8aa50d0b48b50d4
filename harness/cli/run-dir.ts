import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/**
 * A scratch directory for one ad-hoc command (boot, shell, exec): keys, initrd, console log.
 * Removed when the command succeeded; kept, and named in the error, when it did not, so the
 * console log of a failed boot is never lost.
 */
export async function withRunDir<T>(prefix: string, work: (dir: string) => Promise<T>): Promise<T> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `memharness-${prefix}-`));
  let ok = false;
  try {
    const result = await work(dir);
    ok = true;
    return result;
  } finally {
    if (ok && !process.env.MEMHARNESS_KEEP_RUN_DIR) await fs.rm(dir, { recursive: true, force: true });
  }
}
