import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Root of the checked-out project (where package.json, vm-images/ and suites/ live). This
 * module is harness/util/paths.ts when the sources run (tsx, vitest) and
 * dist/harness/util/paths.js when the compiled build runs (tsconfig.build.json: outDir dist,
 * rootDir the project): one level deeper. Files the harness reads at run time (templates,
 * vm-images/, package.json) are found from here, in the source tree, never beside the build.
 */
const here = fileURLToPath(import.meta.url);
export const projectRoot: string = path.resolve(path.dirname(here), ...(here.endsWith('.js') ? ['..', '..', '..'] : ['..', '..']));

export const vmImagesDir: string = path.join(projectRoot, 'vm-images');

/**
 * Kernels, images and snapshots are large and shared between runs, so they live in one cache
 * directory: $MEMHARNESS_CACHE_DIR, else $XDG_CACHE_HOME/memharness, else ~/.cache/memharness.
 */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MEMHARNESS_CACHE_DIR) return path.resolve(env.MEMHARNESS_CACHE_DIR);
  const xdg = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(os.homedir(), '.cache');
  return path.join(xdg, 'memharness');
}
