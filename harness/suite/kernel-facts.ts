import fs from 'node:fs/promises';
import { loadModuleIndex } from '../image/module-index.ts';
import type { PreparedKernel } from '../kernel/prepared-kernel.ts';
import { deriveFeatures } from './features.ts';
import { readKernelConfig, type KernelConfig } from './kernel-config.ts';
import { kernelVersionOf, type KernelVersion } from './kernel-version.ts';

/** What requirements are decided against, known before the kernel boots. */
export interface KernelFacts {
  /** uname -r, e.g. 6.1.0-56-amd64. */
  release: string;
  /** Upstream version, e.g. 6.1.192 (patch null when unknown). */
  version: KernelVersion;
  /** null: no .config for this kernel (a bare bzImage). */
  config: KernelConfig | null;
  /** Canonical names (_ not -) of loadable and built-in modules; null when unknown. */
  modules: ReadonlySet<string> | null;
  features: ReadonlySet<string>;
}

export interface KernelFactsInput {
  release: string;
  upstreamVersion?: string | null;
  config?: KernelConfig | null;
  modules?: Iterable<string> | null;
  /** Replaces the derived features (a runner that probed the guest knows better). */
  features?: Iterable<string>;
}

export function kernelFacts(input: KernelFactsInput): KernelFacts {
  const config = input.config ?? null;
  const version = kernelVersionOf(input.release, input.upstreamVersion ?? config?.kernelVersion ?? null);
  if (!version) throw new Error(`cannot read a kernel version from release '${input.release}'`);
  return {
    release: input.release,
    version,
    config,
    modules: input.modules ? new Set([...input.modules].map((name) => name.replaceAll('-', '_'))) : null,
    features: new Set(input.features ?? deriveFeatures(version, config)),
  };
}

/** Facts of a prepared kernel: its .config, its module index and its upstream version. */
export async function kernelFactsOf(kernel: PreparedKernel): Promise<KernelFacts> {
  const config = kernel.configPath && (await exists(kernel.configPath)) ? await readKernelConfig(kernel.configPath) : null;
  let modules: string[] | null = null;
  if (kernel.modulesRoot) {
    const index = await loadModuleIndex(kernel.modulesRoot, kernel.release);
    modules = [...index.modules.keys(), ...index.builtin];
  }
  const upstreamVersion = kernel.source.kind === 'debian' ? kernel.source.upstreamVersion : null;
  return kernelFacts({ release: kernel.release, upstreamVersion, config, modules });
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}
