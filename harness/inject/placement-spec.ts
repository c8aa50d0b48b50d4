import type { TargetKind } from './targets.ts';

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

/** Unowned kinds that can be searched for inside a node or device. */
const SEARCHED: readonly TargetKind[] = ['free', 'slab', 'hugetlb-free'];
/** Owned kinds move_pages(2) can move: every page the helper maps is migratable. */
const MOVABLE_OWNED: readonly TargetKind[] = ['anon', 'anon-shared', 'shmem', 'mlocked', 'thp', 'hugetlb', 'pagecache-clean', 'pagecache-dirty', 'tmpfs-clean', 'tmpfs-dirty'];

/** Why a kind cannot be placed so, or null. Checked when a suite is loaded. */
export function placementProblem(kind: TargetKind, placement: TargetPlacement): string | null {
  if (placement.node !== undefined && placement.device !== undefined) return 'give node or device, not both';
  if (placement.device !== undefined && !['free', 'slab'].includes(kind)) {
    return `device: places pages nobody owns (free, slab); a '${kind}' page is placed with node: (on a node whose only memory is the device)`;
  }
  if (placement.node !== undefined && !SEARCHED.includes(kind) && !MOVABLE_OWNED.includes(kind)) {
    return `node: works for ${[...SEARCHED, ...MOVABLE_OWNED].join(', ')}; '${kind}' picks its own block`;
  }
  return null;
}

export function describePlacement(placement: TargetPlacement): string {
  return placement.device !== undefined ? `in device ${placement.device}` : `on node ${placement.node}`;
}

