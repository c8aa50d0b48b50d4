import fs from 'node:fs/promises';
import path from 'node:path';

export interface ArtifactSlice {
  /** As recorded: relative to the run directory. */
  path: string;
  /** The end of the file, decoded as UTF-8 (invalid bytes become U+FFFD); empty when unread. */
  text: string;
  /** Bytes before `text` that were left out. */
  omittedBytes: number;
  /** Why nothing (or less than asked) could be shown. */
  problem?: string;
}

/** A shared allowance, so a run of a thousand crashing cases does not make a gigabyte page. */
export class ByteBudget {
  constructor(private remaining: number) {}

  take(wanted: number): number {
    const granted = Math.max(0, Math.min(wanted, this.remaining));
    this.remaining -= granted;
    return granted;
  }
}

/**
 * The last `maxBytes` of an artifact file (the end of a console is where the oops is). The
 * path comes from results.json, which may have been edited or produced elsewhere: a path that
 * leaves the run directory is refused rather than read.
 */
export async function readArtifactSlice(runDir: string, relative: string, maxBytes: number, budget?: ByteBudget): Promise<ArtifactSlice> {
  const root = path.resolve(runDir);
  const file = path.resolve(root, relative);
  if (path.isAbsolute(relative) || (file !== root && !file.startsWith(`${root}${path.sep}`))) {
    return { path: relative, text: '', omittedBytes: 0, problem: 'not shown: the path leaves the run directory' };
  }
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(file, 'r');
    const { size } = await handle.stat();
    const allowed = budget ? budget.take(Math.min(size, maxBytes)) : Math.min(size, maxBytes);
    const start = size - allowed;
    const buffer = Buffer.alloc(allowed);
    const { bytesRead } = await handle.read(buffer, 0, allowed, start);
    const slice: ArtifactSlice = { path: relative, text: buffer.subarray(0, bytesRead).toString('utf8'), omittedBytes: start };
    if (allowed < Math.min(size, maxBytes)) slice.problem = 'shortened: the report reached its size limit; open the file for the rest';
    return slice;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { path: relative, text: '', omittedBytes: 0, problem: code === 'ENOENT' ? 'the file is missing' : `cannot read: ${(error as Error).message}` };
  } finally {
    await handle?.close();
  }
}
