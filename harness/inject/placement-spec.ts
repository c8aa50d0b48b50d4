import { TARGET_KIND_TRAITS, targetKindsWhere, type TargetKind } from './target-kind-traits.ts';

/**
 * Where a target page must lie: on a NUMA node, or inside a memory device (a hot-added
 * DIMM, virtio-mem, kmem-onlined NVDIMM). Pages nobody owns are searched for there; pages the
 * helper owns are allocated anywhere and then moved to the node with move_pages(2), which is
 * what places a process's page in one node's memory (and, on a node whose only memory is one
 * device, in that device).
 */
export interface TargetPlacement {
  node?: number;
  device?: string;
}

/** The kinds `node:` and `device:` can place (their traits' `placement`), in the table's order. */
const ON_NODE = targetKindsWhere((traits) => traits.placement.node !== null);
const IN_DEVICE = targetKindsWhere((traits) => traits.placement.device !== null);

/** Why a kind cannot be placed so, or null. Checked when a suite is loaded. */
export function placementProblem(kind: TargetKind, placement: TargetPlacement): string | null {
  if (placement.node !== undefined && placement.device !== undefined) return 'give node or device, not both';
  const traits = TARGET_KIND_TRAITS[kind].placement;
  if (placement.device !== undefined && traits.device === null) {
    return `device: places pages nobody owns (${IN_DEVICE.join(', ')}); a '${kind}' page is placed with node: (on a node whose only memory is the device)`;
  }
  if (placement.node !== undefined && traits.node === null) {
    return `node: works for ${ON_NODE.join(', ')}; '${kind}' picks its own block`;
  }
  return null;
}

export function describePlacement(placement: TargetPlacement): string {
  return placement.device !== undefined ? `in device ${placement.device}` : `on node ${placement.node}`;
}

