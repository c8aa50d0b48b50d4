import fs from 'node:fs/promises';
import path from 'node:path';
import type { PreparedKernel } from '../kernel/prepared-kernel.ts';
import type { Progress } from '../util/progress.ts';
import { buildBasePart } from './base-part.ts';
import { concatenateArchives } from './cpio-archive.ts';
import type { GuestImage, GuestSshKeys, InitramfsPart } from './guest-image.ts';
import { buildHelperPart } from './helper-part.ts';
import { buildModulesPart } from './modules-part.ts';
import { buildRunPart } from './run-part.ts';
import { buildToolsPart } from './tools-part.ts';

export interface BuildGuestImageOptions {
  kernel: PreparedKernel;
  /** Modules the test needs on top of BASE_MODULES ('-' or '_' spelling). */
  modules: string[];
  keys: GuestSshKeys;
  /** Per-run directory; receives the run part (run.cpio[.gz]) and initrd.img. */
  runDir: string;
  /** Root of the harness cache (parts go to <cacheDir>/images/). */
  cacheDir: string;
  progress: Progress;
}

/**
 * The guest's initrd for one run: cached parts (base, tools, helper, per-kernel modules)
 * plus the per-run secrets, concatenated into <runDir>/initrd.img. Later parts win over
 * earlier ones when a path repeats, so the order is fixed: base first, run last.
 */
export async function buildGuestImage(options: BuildGuestImageOptions): Promise<GuestImage> {
  const common = { cacheDir: options.cacheDir, progress: options.progress };
  const base = await buildBasePart(common);
  const tools = await buildToolsPart(common);
  const helper = await buildHelperPart(common);
  const modules = await buildModulesPart({ ...common, kernel: options.kernel, modules: options.modules });
  await fs.mkdir(options.runDir, { recursive: true });
  const run = await buildRunPart({ runDir: options.runDir, keys: options.keys });

  const parts: InitramfsPart[] = [base, tools, helper, ...(modules.part ? [modules.part] : []), run];
  const initrdPath = path.join(options.runDir, 'initrd.img');
  await concatenateArchives(
    parts.map((part) => part.path),
    initrdPath,
  );
  return {
    initrdPath,
    parts,
    modules: { loadable: modules.closure.loadable, builtin: modules.closure.builtin, missing: modules.closure.missing },
  };
}
