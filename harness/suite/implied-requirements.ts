import type { TaintFlag } from '../kernel-log/crash/taint.ts';
import { Y, YM, type Need } from '../inject/kernel-needs.ts';
import { METHOD_TRAITS, taintMethodMayAdd } from '../inject/method-traits.ts';
import { TARGET_KIND_TRAITS } from '../inject/target-kind-traits.ts';
import type { Requirement } from './requirement-schema.ts';
import type { Step } from './step-schema.ts';
import type { CgroupController } from '../state/cgroup-files.ts';

/** The config option that builds each controller a `cgroup` step can enable. */
const CGROUP_CONTROLLER_CONFIG: Readonly<Record<CgroupController, string>> = {
  memory: 'CONFIG_MEMCG',
  hugetlb: 'CONFIG_CGROUP_HUGETLB',
  pids: 'CONFIG_CGROUP_PIDS',
  cpuset: 'CONFIG_CPUSETS',
};

/**
 * Requirements a case has by what its steps do (the `needs` of its methods and target kinds in
 * harness/inject/method-traits.ts and target-kind-traits.ts, the other steps' here), so that a
 * kernel without machine-check support SKIPs an mce case with a reason instead of failing it. They are `implied`: when
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
    if (action.kind === 'inject') add(METHOD_TRAITS[action.method].needs, `inject method ${action.method}`);
    else if (action.kind === 'target') add(TARGET_KIND_TRAITS[action.targetKind].needs, `target kind ${action.targetKind}`);
    else if (action.kind === 'corruptFilter') add({ config: { CONFIG_HWPOISON_INJECT: YM, CONFIG_DEBUG_FS: Y } }, 'corruptFilter');
    else if (action.kind === 'memoryBlock') add({ config: action.state === 'offline' ? { CONFIG_MEMORY_HOTREMOVE: Y } : { CONFIG_MEMORY_HOTPLUG: Y } }, `memoryBlock ${action.state}`);
    else if (action.kind === 'dimm') {
      add({ config: { CONFIG_MEMORY_HOTPLUG: Y, CONFIG_ACPI_HOTPLUG_MEMORY: Y } }, `dimm ${action.op}`);
      if (action.op === 'remove') add({ config: { CONFIG_MEMORY_HOTREMOVE: Y } }, 'dimm remove');
    } else if (action.kind === 'virtioMem') add({ config: { CONFIG_VIRTIO_MEM: YM } }, 'virtioMem');
    else if (action.kind === 'migrate') add({ config: { CONFIG_NUMA: Y, CONFIG_MIGRATION: Y } }, 'migrate');
    else if (action.kind === 'cgroup') add({ config: { CONFIG_CGROUPS: Y, ...Object.fromEntries(action.controllers.map((controller) => [CGROUP_CONTROLLER_CONFIG[controller], Y])) } }, `cgroup ${action.name}`);
    if (action.kind === 'target' && action.placement?.node !== undefined) add({ config: { CONFIG_NUMA: Y } }, `target on node ${action.placement.node}`);
  }
  return out;
}

/**
 * New taint a case's steps may leave without failing the implicit no-new-taint check: what its
 * injection methods may add (`mayTaint`: M after a machine check), each flag once, in step order.
 */
export function impliedTaintAllowance(steps: readonly Step[]): TaintFlag[] {
  const flags = new Map<number, TaintFlag>();
  for (const step of steps) {
    if (step.action.kind !== 'inject') continue;
    for (const flag of taintMethodMayAdd(step.action.method)) if (!flags.has(flag.bit)) flags.set(flag.bit, flag);
  }
  return [...flags.values()];
}
