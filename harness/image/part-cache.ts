import fs from 'node:fs/promises';
import path from 'node:path';
import { ensurePreparedDir } from '../util/prepared-dir.ts';
import type { Progress } from '../util/progress.ts';
import type { InitramfsPart } from './guest-image.ts';
import type { ContentHash } from './content-hash.ts';
import { PART_COMPRESSION, archiveSuffix, writeCpioArchive } from './cpio-archive.ts';
import { StagingDir } from './staging-dir.ts';

export interface CachedPartOptions {
  /** Root of the harness cache; parts live in <cacheDir>/images/<name>-<hash>/. */
  cacheDir: string;
  name: string;
  /** What the part is built from; cachedPart adds the archive format to it. */
  hash: ContentHash;
  progress: Progress;
  /** Fills the staging tree; runs only when the cache has no complete entry. */
  stage: (staging: StagingDir) => Promise<void>;
}

export function partDirectory(cacheDir: string, name: string, hash: ContentHash): string {
  return path.join(cacheDir, 'images', `${name}-${hash.digest()}`);
}

/** An initramfs part from the cache, built (once, even across processes) when missing. */
export async function cachedPart(options: CachedPartOptions): Promise<InitramfsPart> {
  // The archive format is part of what an entry is built from.
  const hash = options.hash.add('format', `newc${archiveSuffix(PART_COMPRESSION)}`);
  const dir = partDirectory(options.cacheDir, options.name, hash);
  const file = `${options.name}${archiveSuffix(PART_COMPRESSION)}`;
  await ensurePreparedDir(dir, (workDir) =>
    options.progress.step(`building guest image part "${options.name}"`, async () => {
      const staging = new StagingDir(path.join(workDir, 'staging'));
      await fs.mkdir(staging.root);
      await options.stage(staging);
      const archive = await writeCpioArchive(staging.root, path.join(workDir, file), staging.modes);
      await fs.rm(staging.root, { recursive: true, force: true });
      const inputs = { part: options.name, hash: hash.digest(), entries: archive.entries, bytes: archive.bytes, inputs: hash.inputs };
      await fs.writeFile(path.join(workDir, 'inputs.json'), `${JSON.stringify(inputs, null, 2)}\n`);
    }),
  );
  return { name: options.name, path: path.join(dir, file) };
}
