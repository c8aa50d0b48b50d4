import fs from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { HarnessError } from '../util/errors.ts';
import { vmImagesDir } from '../util/paths.ts';
import type { Progress } from '../util/progress.ts';
import { ContentHash } from './content-hash.ts';
import type { InitramfsPart } from './guest-image.ts';
import { requireHostTool } from './host-tools.ts';
import { cachedPart } from './part-cache.ts';

const RECIPE_VERSION = 'helper-1';

export const HELPER_SOURCE_DIR = path.join(vmImagesDir, 'helper');
export const HELPER_GUEST_PATH = '/usr/bin/memharness-helper';

/** Static so the one binary runs on every guest; -Werror so warnings never ship. */
const CFLAGS: readonly string[] = ['-static', '-O2', '-Wall', '-Wextra', '-Werror'];

async function helperSources(): Promise<string[]> {
  const names = (await fs.readdir(HELPER_SOURCE_DIR)).filter((name) => /\.[ch]$/.test(name)).sort();
  if (!names.some((name) => name === 'main.c')) {
    throw new HarnessError('image', `${HELPER_SOURCE_DIR} has no main.c; the helper's sources are missing`);
  }
  return names.map((name) => path.join(HELPER_SOURCE_DIR, name));
}

/** Part 3: memharness-helper, compiled on the host from vm-images/helper/. */
export async function buildHelperPart(options: { cacheDir: string; progress: Progress }): Promise<InitramfsPart> {
  const gcc = await requireHostTool('gcc', 'gcc libc6-dev');
  const sources = await helperSources();
  const { stdout: gccVersion } = await execa(gcc, ['--version']);

  const hash = new ContentHash()
    .add('recipe', RECIPE_VERSION)
    .add('cflags', CFLAGS.join(' '))
    .add('gcc', gccVersion.split('\n')[0] ?? '');
  for (const source of sources) await hash.addFile(path.basename(source), source);

  return cachedPart({
    cacheDir: options.cacheDir,
    name: 'helper',
    hash,
    progress: options.progress,
    stage: async (staging) => {
      const output = staging.resolve(HELPER_GUEST_PATH);
      await staging.dir(path.dirname(HELPER_GUEST_PATH));
      // Relative source names: the binary's symbol table then does not record where the
      // project is checked out, so every checkout builds the same bytes.
      const cFiles = sources.filter((source) => source.endsWith('.c')).map((source) => path.basename(source));
      const result = await execa(gcc, [...CFLAGS, '-o', output, ...cFiles], {
        cwd: HELPER_SOURCE_DIR,
        reject: false,
        all: true,
      });
      if (result.exitCode !== 0) {
        const staticLibcMissing = /cannot find -lc\b/.test(result.all ?? '');
        throw new HarnessError(
          staticLibcMissing ? 'prerequisite' : 'image',
          `compiling memharness-helper failed:\n${result.all ?? ''}`,
          staticLibcMissing ? { hint: 'static linking needs the C library archive: sudo apt-get install libc6-dev' } : {},
        );
      }
      staging.modes.set(HELPER_GUEST_PATH.slice(1), 0o755);
    },
  });
}
