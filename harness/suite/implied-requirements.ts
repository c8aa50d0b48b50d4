import type { InjectionMethod } from '../inject/injection.ts';
import type { TargetKind } from '../inject/targets.ts';
import { SCRATCH_FS_MODULES } from '../inject/scratch-fs.ts';
import type { Requirement } from './requirement-schema.ts';
import type { Step } from './step-schema.ts';

export type Need = { config?: Record<string, string[]>; modules?: readonly string[] };

const Y = ['y'];
const YM = ['y', 'm'];

/** What each way of injecting needs from the kernel's config. */
export const METHOD_NEEDS: Readonly<Record<InjectionMethod, Need>> = {
  debugfs: { config: { CONFIG_MEMORY_FAILURE: Y, CONFIG_HWPOISON_INJECT: YM, CONFIG_DEBUG_FS: Y } },
  'debugfs-unpoison': { config: { CONFIG_MEMORY_FAILURE: Y, CONFIG_HWPOISON_INJECT: YM, CONFIG_DEBUG_FS: Y } },
  'madvise-hwpoison': { config: { CONFIG_MEMORY_FAILURE: Y } },
  'madvise-soft-offline': { config: { CONFIG_MEMORY_FAILURE: Y } },
  'sysfs-soft-offline': { config: { CONFIG_MEMORY_FAILURE: Y } },
  'sysfs-hard-offline': { config: { CONFIG_MEMORY_FAILURE: Y } },
  'mce-srao': { config: { CONFIG_MEMORY_FAILURE: Y, CONFIG_X86_MCE: Y, CONFIG_X86_MCE_INTEL: Y } },
  'mce-srar': { config: { CONFIG_MEMORY_FAILURE: Y, CONFIG_X86_MCE: Y, CONFIG_X86_MCE_INTEL: Y } },
};

/** What making each kind of target page needs. */
export const TARGET_NEEDS: Readonly<Partial<Record<TargetKind, Need>>> = {
  thp: { config: { CONFIG_TRANSPARENT_HUGEPAGE: Y } },
  hugetlb: { config: { CONFIG_HUGETLB_PAGE: Y } },
  'hugetlb-free': { config: { CONFIG_HUGETLB_PAGE: Y } },
  'pagecache-clean': { modules: SCRATCH_FS_MODULES },
  'pagecache-dirty': { modules: SCRATCH_FS_MODULES },
  'tmpfs-clean': { config: { CONFIG_TMPFS: Y } },
  'tmpfs-dirty': { config: { CONFIG_TMPFS: Y } },
};

/**
 * Requirements a case has by what its steps do, so that a kernel without machine-check
 * support SKIPs an mce case with a reason instead of failing it. They are `implied`: when
 * the kernel's config or modules are unknown, they are assumed met (the run will tell).
 */
export function impliedRequirements(steps: readonly Step[]): Requirement[] {
  const out: Requirement[] = [];
  const seen = new Set<string>();
  const add = (need: Need, because: string): void => {
    for (const [option, accepted] of Object.entries(need.config ?? {})) {
      if (seen.has(option)) continue;
      seen.add(option);
      out.push({ kind: 'config', option, accepted, because, implied: true });
    }
    for (const name of need.modules ?? []) {
      if (seen.has(`module:${name}`)) continue;
      seen.add(`module:${name}`);
      out.push({ kind: 'module', name, because, implied: true });
    }
  };
  for (const step of steps) {
    const action = step.action;
    if (action.kind === 'inject') add(METHOD_NEEDS[action.method], `inject method ${action.method}`);
    else if (action.kind === 'target') add(TARGET_NEEDS[action.targetKind] ?? {}, `target kind ${action.targetKind}`);
    else if (action.kind === 'corruptFilter') add({ config: { CONFIG_HWPOISON_INJECT: YM, CONFIG_DEBUG_FS: Y } }, 'corruptFilter');
    else if (action.kind === 'memoryBlock') add({ config: action.state === 'offline' ? { CONFIG_MEMORY_HOTREMOVE: Y } : { CONFIG_MEMORY_HOTPLUG: Y } }, `memoryBlock ${action.state}`);
    else if (action.kind === 'dimm') {
      add({ config: { CONFIG_MEMORY_HOTPLUG: Y, CONFIG_ACPI_HOTPLUG_MEMORY: Y } }, `dimm ${action.op}`);
      if (action.op === 'remove') add({ config: { CONFIG_MEMORY_HOTREMOVE: Y } }, 'dimm remove');
    } else if (action.kind === 'virtioMem') add({ config: { CONFIG_VIRTIO_MEM: YM } }, 'virtioMem');
    else if (action.kind === 'migrate') add({ config: { CONFIG_NUMA: Y, CONFIG_MIGRATION: Y } }, 'migrate');
    if (action.kind === 'target' && action.placement?.node !== undefined) add({ config: { CONFIG_NUMA: Y } }, `target on node ${action.placement.node}`);
  }
  return out;
}
