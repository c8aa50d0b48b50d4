import { HarnessError } from '../util/errors.ts';
import type { ModuleIndex } from './module-index.ts';
import { canonicalModuleName, moduleNameFromPath } from './module-name.ts';

export interface ModuleClosure {
  /** Paths (relative to lib/modules/<release>/) of every module file the image needs:
   *  the requested loadable modules and everything they depend on. Sorted. */
  files: string[];
  /** Canonical names of the loadable modules in `files`. Sorted. */
  loadable: string[];
  /** Requested names the kernel has built in (nothing to copy). Sorted. */
  builtin: string[];
  /** Optional requested names the kernel has neither way. Sorted. */
  missing: string[];
}

/**
 * Which module files an image must carry so that `modprobe` of each requested name works:
 * the requested modules plus their dependencies, minus what the kernel has built in.
 * A required name the kernel offers neither way is an error naming module and kernel.
 */
export function resolveModuleClosure(
  index: ModuleIndex,
  requested: readonly string[],
  optional: ReadonlySet<string> = new Set(),
): ModuleClosure {
  const files = new Set<string>();
  const builtin = new Set<string>();
  const missing = new Set<string>();
  const pending: string[] = [];

  for (const original of requested) {
    const name = canonicalModuleName(original);
    if (index.modules.has(name)) pending.push(name);
    else if (index.builtin.has(name)) builtin.add(name);
    else if (optional.has(name)) missing.add(name);
    else {
      throw new HarnessError(
        'image',
        `kernel module "${original}" is neither a loadable module nor built into kernel ${index.release}`,
        { hint: `the kernel's modules are listed in ${index.directory}/modules.dep (built-in ones in modules.builtin)` },
      );
    }
  }

  // modules.dep already lists transitive dependencies, but following them again costs
  // nothing and keeps a hand-written or partial modules.dep honest.
  while (pending.length > 0) {
    const name = pending.pop() as string;
    const entry = index.modules.get(name);
    if (!entry) {
      throw new HarnessError('image', `kernel ${index.release}: modules.dep names a dependency "${name}" it does not describe`, {
        hint: `re-run depmod for ${index.directory}`,
      });
    }
    if (files.has(entry.path)) continue;
    files.add(entry.path);
    for (const dependency of entry.dependencies) pending.push(moduleNameFromPath(dependency));
  }

  const sorted = (set: Set<string>): string[] => [...set].sort();
  return {
    files: sorted(files),
    loadable: [...files].map(moduleNameFromPath).sort(),
    builtin: sorted(builtin),
    missing: sorted(missing),
  };
}
