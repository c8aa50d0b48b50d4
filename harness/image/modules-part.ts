import fs from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { HarnessError } from '../util/errors.ts';
import type { PreparedKernel } from '../kernel/prepared-kernel.ts';
import type { Progress } from '../util/progress.ts';
import { BASE_MODULES, OPTIONAL_BASE_MODULES, imageModuleNames } from './base-modules.ts';
import { ContentHash } from './content-hash.ts';
import type { InitramfsPart } from './guest-image.ts';
import { requireHostTool } from './host-tools.ts';
import { resolveModuleClosure, type ModuleClosure } from './module-closure.ts';
import { loadModuleIndex } from './module-index.ts';
import { canonicalModuleName } from './module-name.ts';
import { cachedPart } from './part-cache.ts';

const RECIPE_VERSION = 'modules-1';

/** Metadata files copied as they are; depmod regenerates everything else from the modules. */
const METADATA_FILES: readonly string[] = ['modules.builtin', 'modules.builtin.modinfo', 'modules.order'];

export interface ModulesPartResult {
  part: InitramfsPart | null;
  closure: ModuleClosure;
}

/**
 * Part 4 (per kernel and module set): the requested modules plus BASE_MODULES and all
 * their dependencies under lib/modules/<release>/, with a modules.dep that depmod made for
 * exactly these files, so the guest's modprobe finds them and nothing else.
 */
export async function buildModulesPart(options: {
  cacheDir: string;
  kernel: PreparedKernel;
  modules: readonly string[];
  progress: Progress;
}): Promise<ModulesPartResult> {
  const { kernel } = options;
  const wanted = imageModuleNames(options.modules);

  if (kernel.modulesRoot === null) {
    // A kernel without modules (e.g. a monolithic custom build) may still have everything
    // built in; only modules the user asked for by name are worth an error here.
    const requested = options.modules.map(canonicalModuleName).filter((name) => !BASE_MODULES.includes(name));
    if (requested.length > 0) {
      throw new HarnessError('image', `kernel ${kernel.release} comes without loadable modules, so "${requested.join('", "')}" cannot be provided`, {
        hint: 'give the kernel a module tree (make modules_install INSTALL_MOD_PATH=...) or build those drivers in',
      });
    }
    return { part: null, closure: { files: [], loadable: [], builtin: [], missing: wanted } };
  }

  const index = await loadModuleIndex(kernel.modulesRoot, kernel.release);
  const closure = resolveModuleClosure(index, wanted, OPTIONAL_BASE_MODULES);
  if (closure.files.length === 0) return { part: null, closure };

  const hash = new ContentHash()
    .add('recipe', RECIPE_VERSION)
    .add('kernel', kernel.id)
    .add('release', kernel.release)
    .add('modules', [...wanted].sort().join(','));

  const depmod = await requireHostTool('depmod', 'kmod');
  const part = await cachedPart({
    cacheDir: options.cacheDir,
    name: 'modules',
    hash,
    progress: options.progress,
    stage: async (staging) => {
      const guestDir = `lib/modules/${kernel.release}`;
      for (const file of closure.files) await staging.copy(path.join(index.directory, file), `${guestDir}/${file}`, 0o644);
      for (const file of METADATA_FILES) {
        const source = path.join(index.directory, file);
        if (await exists(source)) await staging.copy(source, `${guestDir}/${file}`, 0o644);
      }
      const result = await execa(depmod, ['-b', staging.root, kernel.release], { reject: false, all: true });
      if (result.exitCode !== 0) {
        throw new HarnessError('image', `depmod for the guest's modules of kernel ${kernel.release} failed:\n${result.all ?? ''}`);
      }
    },
  });
  return { part, closure };
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}
