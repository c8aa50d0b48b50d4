import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import path from 'node:path';
import { execa } from 'execa';
import { HarnessError } from '../util/errors.ts';

/**
 * How parts are stored. gzip keeps the cache and initrd small; 'none' makes boots faster:
 * under TCG the kernel needs ~0.3 s to gunzip a 15 MB initrd and ~0.15 s to copy it
 * uncompressed (6.12.117, measured), and concatenated plain newc archives are just as valid.
 */
export type PartCompression = 'gzip' | 'none';

export const PART_COMPRESSION: PartCompression = 'none';

export function archiveSuffix(compression: PartCompression): string {
  return compression === 'gzip' ? '.cpio.gz' : '.cpio';
}

export interface ArchiveResult {
  path: string;
  entries: number;
  bytes: number;
}

const DEFAULT_DIR_MODE = 0o755;
const DEFAULT_EXEC_MODE = 0o755;
const DEFAULT_FILE_MODE = 0o644;

/**
 * Packs a staging tree into a newc cpio archive (gzip'd unless told otherwise) that depends
 * only on the tree's names, contents, symlink targets and the given modes: entries sorted
 * bytewise, every mtime 0, owner root, inode/device numbers renumbered (--reproducible),
 * gzip without name or timestamp (-n). Building the same tree twice gives the same bytes,
 * so archives can be cached and compared by hash.
 */
export async function writeCpioArchive(
  stagingDir: string,
  outFile: string,
  modes: ReadonlyMap<string, number> = new Map(),
  compression: PartCompression = PART_COMPRESSION,
): Promise<ArchiveResult> {
  const entries = await listTree(stagingDir);
  for (const entry of entries) {
    const absolute = path.join(stagingDir, entry.path);
    if (!entry.symlink) {
      const fallback = entry.directory ? DEFAULT_DIR_MODE : entry.executable ? DEFAULT_EXEC_MODE : DEFAULT_FILE_MODE;
      await fs.chmod(absolute, modes.get(entry.path) ?? fallback);
    }
  }
  // After all changes inside the tree, or a directory's mtime would move again.
  for (const entry of entries) await fs.lutimes(path.join(stagingDir, entry.path), 0, 0);

  const list = entries.map((entry) => `${entry.path}\n`).join('');
  const cpioArgs = ['--create', '--format=newc', '--reproducible', '--owner=0:0', '--quiet'];
  const cpioOptions = { cwd: stagingDir, input: list, env: { LC_ALL: 'C' } } as const;
  try {
    if (compression === 'gzip') {
      await execa('cpio', cpioArgs, { ...cpioOptions, encoding: 'buffer', stdout: 'pipe' }).pipe('gzip', ['-n', '-9'], {
        stdout: { file: outFile },
      });
    } else {
      await execa('cpio', cpioArgs, { ...cpioOptions, stdout: { file: outFile } });
    }
  } catch (error) {
    throw new HarnessError('image', `packing ${stagingDir} into ${outFile} failed`, {
      hint: 'needs GNU cpio >= 2.12 (for --reproducible) and gzip on the host',
      cause: error,
    });
  }
  const { size } = await fs.stat(outFile);
  return { path: outFile, entries: entries.length, bytes: size };
}

interface TreeEntry {
  path: string;
  directory: boolean;
  symlink: boolean;
  executable: boolean;
}

/** Every entry below root, parents before children, in bytewise order of the path. */
async function listTree(root: string): Promise<TreeEntry[]> {
  const result: TreeEntry[] = [];
  const walk = async (relativeDir: string): Promise<void> => {
    const dirents = await fs.readdir(path.join(root, relativeDir), { withFileTypes: true });
    for (const dirent of dirents) {
      const entryPath = relativeDir === '' ? dirent.name : `${relativeDir}/${dirent.name}`;
      const symlink = dirent.isSymbolicLink();
      const directory = dirent.isDirectory();
      let executable = false;
      if (!symlink && !directory) {
        if (!dirent.isFile()) throw new Error(`unexpected special file ${entryPath} in ${root}`);
        executable = ((await fs.stat(path.join(root, entryPath))).mode & 0o111) !== 0;
      }
      result.push({ path: entryPath, directory, symlink, executable });
      if (directory) await walk(entryPath);
    }
  };
  await walk('');
  return result.sort((a, b) => compareBytes(a.path, b.path));
}

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** Concatenates archives byte for byte: the kernel unpacks a sequence of cpio archives. */
export async function concatenateArchives(parts: readonly string[], outFile: string): Promise<number> {
  // Streamed, so the harness's memory does not grow with the image (it runs beside guests).
  await fs.writeFile(outFile, '');
  for (const part of parts) {
    await pipeline(createReadStream(part), createWriteStream(outFile, { flags: 'a' }));
  }
  return (await fs.stat(outFile)).size;
}
