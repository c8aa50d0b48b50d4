import fs from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { HarnessError } from '../util/errors.ts';
import { cacheDir } from '../util/paths.ts';
import type { Progress } from '../util/progress.ts';

/**
 * apt's package lists: how old they are, and the one `apt-get update` a process may run.
 * Both the host-package install and the kernel look-up need fresh lists; they share this
 * module so a command never updates twice, and every update is said in the progress output.
 */

/** Lists older than this are refreshed before a kernel is looked up (the archive moves daily). */
export const APT_LISTS_STALE_MS = 24 * 3600_000;

const LISTS_DIR = '/var/lib/apt/lists';

/** Written after an update this harness ran: a 304-only update changes nothing in LISTS_DIR. */
export function aptStampFile(cache: string = cacheDir()): string {
  return path.join(cache, 'apt-lists-updated');
}

/**
 * When the lists were last brought up to date, as well as the file system can tell; null when
 * there are none. A list file's mtime is the archive's Last-Modified, not the download time
 * (bookworm's main Release stays months old right after an update), so the directory's own
 * mtime (apt renames changed files into it) and the harness's stamp count too.
 */
export async function aptListsUpdatedAt(listsDir: string = LISTS_DIR, stamp: string = aptStampFile()): Promise<Date | null> {
  const names = await fs.readdir(listsDir).catch(() => [] as string[]);
  const lists = names.filter((name) => /_(In)?Release$|_Packages(\.\w+)?$/.test(name));
  if (lists.length === 0) return null;
  const times = await Promise.all(
    [listsDir, stamp, ...lists.map((name) => path.join(listsDir, name))].map((file) =>
      fs.stat(file).then((s) => s.mtimeMs, () => 0),
    ),
  );
  return new Date(Math.max(...times));
}

/** "3 days", "5 hours": how old the lists are, for messages. */
export function describeAge(ms: number): string {
  const hours = ms / 3600_000;
  if (hours < 48) return `${Math.max(1, Math.round(hours))} hours`;
  return `${Math.round(hours / 24)} days`;
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

let update: Promise<void> | null = null;

/** True once this process has run (or is running) `apt-get update`. */
export function aptListsRefreshedHere(): boolean {
  return update !== null;
}

/**
 * Runs `apt-get update` once per process, as root, saying why in the progress output; a second
 * call waits for the first. Not root: an error naming the command to run.
 */
export function refreshAptLists(progress: Progress, why: string): Promise<void> {
  if (update) return update;
  if (!isRoot()) {
    return Promise.reject(
      new HarnessError('prerequisite', `apt's package lists need an update (${why}), and that needs root`, {
        hint: 'run: sudo apt-get update   (then the same command again)',
      }),
    );
  }
  update = progress.step(`apt-get update (${why})`, async () => {
    const result = await execa('apt-get', ['update', '-q'], {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      reject: false,
      all: true,
      stdin: 'ignore',
      timeout: 10 * 60_000,
    });
    if (result.exitCode !== 0) {
      update = null;
      throw new HarnessError('prerequisite', `apt-get update failed (exit ${result.exitCode ?? result.signal ?? 'unknown'})`, {
        hint: `the Debian archive must be reachable. apt said:\n${tailOf(result.all)}`,
      });
    }
    const stamp = aptStampFile();
    await fs.mkdir(path.dirname(stamp), { recursive: true });
    await fs.writeFile(stamp, `${new Date().toISOString()}\n`);
  });
  return update;
}

/** The last lines a host tool printed, for an error's hint. */
export function tailOf(text: string | undefined, lines = 15): string {
  return (text ?? '').trim().split('\n').slice(-lines).join('\n');
}
