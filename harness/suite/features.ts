import { configValue, type KernelConfig } from './kernel-config.ts';
import type { KernelVersion } from './kernel-version.ts';
import { versionInRange, parseVersionRange, type VersionRange } from './version-range.ts';

/**
 * Kernel abilities a case can require by name when no single config option says it. Each is
 * derived from the upstream version it landed in (so requirements are decided before a guest
 * boots) and names what the runner can probe in a booted guest to confirm it.
 */
export interface KernelFeature {
  description: string;
  /** Mainline release range that has it. */
  kernel: string;
  /** Config options that must be y for it to exist. */
  config: readonly string[];
  /** A guest path whose existence shows the feature (the runner may probe it). */
  probe: string;
  /** The upstream commit that added it. */
  reference: string;
}

export const KERNEL_FEATURES = {
  'per-node-memory-failure-stats': {
    description: 'per-node memory_failure counters (total, ignored, failed, delayed, recovered) in sysfs',
    kernel: '>=6.3',
    config: ['CONFIG_MEMORY_FAILURE', 'CONFIG_NUMA'],
    probe: '/sys/devices/system/node/node0/memory_failure/total',
    reference: 'mm: memory-failure: add memory failure stats to sysfs',
  },
  'enable-soft-offline-sysctl': {
    description: 'vm.enable_soft_offline: soft offline can be turned off (it then fails with EOPNOTSUPP)',
    kernel: '>=6.11',
    config: ['CONFIG_MEMORY_FAILURE'],
    probe: '/proc/sys/vm/enable_soft_offline',
    reference: 'mm/memory-failure: userspace controls soft-offlining pages',
  },
} as const satisfies Record<string, KernelFeature>;

export type FeatureName = keyof typeof KERNEL_FEATURES;

export const FEATURE_NAMES = Object.keys(KERNEL_FEATURES) as FeatureName[];

export function isFeatureName(name: string): name is FeatureName {
  return Object.hasOwn(KERNEL_FEATURES, name);
}

const RANGES = new Map<FeatureName, VersionRange>(
  FEATURE_NAMES.map((name) => {
    const parsed = parseVersionRange(KERNEL_FEATURES[name].kernel);
    if ('error' in parsed) throw new Error(`internal: feature ${name}: ${parsed.error}`);
    return [name, parsed.range];
  }),
);

/**
 * The features a kernel has by its version and config. An unknown config does not rule a
 * feature out (a bare bzImage has none to read); an unknown patch level only matters for
 * bounds that name one, and none here do.
 */
export function deriveFeatures(version: KernelVersion, config: KernelConfig | null): Set<FeatureName> {
  const features = new Set<FeatureName>();
  for (const name of FEATURE_NAMES) {
    const feature: KernelFeature = KERNEL_FEATURES[name];
    if (versionInRange(version, RANGES.get(name)!) !== true) continue;
    if (config && feature.config.some((option) => configValue(config, option) !== 'y')) continue;
    features.add(name);
  }
  return features;
}
