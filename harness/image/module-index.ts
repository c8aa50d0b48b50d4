import fs from 'node:fs/promises';
import path from 'node:path';
import { HarnessError } from '../util/errors.ts';
import { moduleNameFromPath } from './module-name.ts';

/** One loadable module as modules.dep describes it; paths relative to lib/modules/<release>/. */
export interface ModuleEntry {
  name: string;
  path: string;
  /** Paths of the modules it needs (depmod already lists the whole transitive set). */
  dependencies: string[];
}

/** What a kernel offers: its loadable modules and the names of those built in. */
export interface ModuleIndex {
  release: string;
  /** lib/modules/<release>/ on the host. */
  directory: string;
  modules: Map<string, ModuleEntry>;
  builtin: Set<string>;
}

/** Parses modules.dep ("kernel/a.ko: kernel/b.ko kernel/c.ko" per line). */
export function parseModulesDep(text: string): Map<string, ModuleEntry> {
  const modules = new Map<string, ModuleEntry>();
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const modulePath = line.slice(0, colon).trim();
    const dependencies = line.slice(colon + 1).trim().split(/\s+/).filter((word) => word !== '');
    const name = moduleNameFromPath(modulePath);
    modules.set(name, { name, path: modulePath, dependencies });
  }
  return modules;
}

/** Parses modules.builtin (one "kernel/.../name.ko" path per line) into module names. */
export function parseModulesBuiltin(text: string): Set<string> {
  const names = new Set<string>();
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (line !== '') names.add(moduleNameFromPath(line));
  }
  return names;
}

export async function loadModuleIndex(modulesRoot: string, release: string): Promise<ModuleIndex> {
  const directory = path.join(modulesRoot, 'lib', 'modules', release);
  const read = async (file: string, required: boolean): Promise<string> => {
    try {
      return await fs.readFile(path.join(directory, file), 'utf8');
    } catch (error) {
      if (!required) return '';
      throw new HarnessError('image', `kernel ${release}: cannot read ${path.join(directory, file)}`, {
        hint: 'the prepared kernel lacks a depmod-ed module tree; re-prepare the kernel',
        cause: error,
      });
    }
  };
  const [dep, builtin] = await Promise.all([read('modules.dep', true), read('modules.builtin', false)]);
  return { release, directory, modules: parseModulesDep(dep), builtin: parseModulesBuiltin(builtin) };
}
