import { HelperError, type HelperSession } from '../guest-helper/helper-session.ts';
import { HarnessError } from '../util/errors.ts';
import type { Guest } from '../vm/guest.ts';
import { blocksOfRange, blockSizeBytes, describeBlocks, memoryDevice } from '../vm/memory-devices.ts';
import { readPoolState, sizeKb, type HugepageSize } from './hugetlb-pool.ts';
import { describePlacement, type TargetPlacement } from './placement-spec.ts';
import { TARGET_KIND_TRAITS, type TargetKind } from './target-kind-traits.ts';

export { describePlacement, placementProblem, type TargetPlacement } from './placement-spec.ts';

/** Boot-time allocations sit low; below 256 MiB the helper never looks for free pages. */
const LOWEST_SEARCH_PFN = 0x10000n;
const PAGE = 4096n;

/** The online memory blocks of a node or device, ascending, and the block size. */
export async function placementBlocks(guest: Guest, placement: TargetPlacement): Promise<{ blocks: number[]; blockBytes: bigint }> {
  const blockBytes = await blockSizeBytes(guest);
  let candidates: string;
  if (placement.device !== undefined) {
    const device = await memoryDevice(guest.machine.qmp, placement.device);
    candidates = blocksOfRange(device.start, device.length, blockBytes).map((block) => `memory${block}`).join(' ');
  } else {
    candidates = `$(cd /sys/devices/system/node/node${placement.node} 2>/dev/null && ls -d memory[0-9]* 2>/dev/null)`;
  }
  const listing = await guest.exec(`cd /sys/devices/system/memory && for b in ${candidates}; do [ -e $b ] && [ "$(cat $b/state)" = online ] && echo $b; done; true`);
  const blocks = listing.stdout
    .split('\n')
    .map((line) => /^memory(\d+)$/.exec(line.trim()))
    .flatMap((match) => (match ? [Number(match[1])] : []))
    .sort((a, b) => a - b);
  return { blocks, blockBytes };
}

/**
 * A page nobody owns (free, slab, free hugetlb head of `size`) inside the placement's online
 * blocks. A hugetlb-free page's pool is the caller's (targets.ts sets the node's up first).
 */
export async function placedPage(guest: Guest, helper: HelperSession, kind: TargetKind, placement: TargetPlacement, size: HugepageSize = '2M'): Promise<bigint> {
  if (TARGET_KIND_TRAITS[kind].hugetlbPool) return placedFreeHugepage(guest, helper, placement, size);
  const { blocks, blockBytes } = await placementBlocks(guest, placement);
  const where = describePlacement(placement);
  if (blocks.length === 0) throw new HarnessError('guest', `no online memory block ${where}: online it first (memoryBlock: { ${placement.device !== undefined ? `device: ${placement.device}` : `node: ${placement.node}`}, state: online_movable })`);
  const pagesPerBlock = blockBytes / PAGE;
  for (const block of blocks) {
    const first = BigInt(block) * pagesPerBlock;
    const from = first > LOWEST_SEARCH_PFN ? first : LOWEST_SEARCH_PFN;
    if (from >= first + pagesPerBlock) continue;
    let pfn: bigint | undefined;
    try {
      [pfn] = kind === 'slab' ? await helper.slabPages(1, from) : await helper.freePages(1, from, first + pagesPerBlock);
    } catch (error) {
      // Nothing of that kind from here to the end of memory: no later block has one either.
      if (error instanceof HelperError) break;
      throw error;
    }
    if (pfn !== undefined && pfn >= first && pfn < first + pagesPerBlock) return pfn;
  }
  throw new HarnessError('guest', `no ${kind === 'slab' ? 'slab' : 'free'} page ${where} (online blocks ${describeBlocks(blocks)})`);
}

async function placedFreeHugepage(guest: Guest, helper: HelperSession, placement: TargetPlacement, size: HugepageSize): Promise<bigint> {
  if (placement.node === undefined) throw new HarnessError('usage', 'a hugetlb-free page is placed with node:, not device:');
  const { blocks, blockBytes } = await placementBlocks(guest, placement);
  const pool = await readPoolState(guest, size, placement.node);
  const count = pool?.free ?? 0;
  if (!(count >= 1)) throw new HarnessError('guest', `no free ${sizeKb(size)}kB hugetlb page on node ${placement.node} (its pool: ${pool ? `${pool.nr} pages, ${pool.free} free` : 'none'})`);
  const total = await readPoolState(guest, size, null);
  const heads = await helper.freeHugepages(Math.min(total?.free ?? count, 4096), sizeKb(size));
  const pagesPerBlock = blockBytes / PAGE;
  const onNode = heads.find((pfn) => blocks.includes(Number(pfn / pagesPerBlock)));
  if (onNode === undefined) throw new HarnessError('guest', `none of the ${heads.length} free ${sizeKb(size)}kB hugetlb pages is on node ${placement.node} (online blocks ${describeBlocks(blocks)})`);
  return onNode;
}

/**
 * Moves an owned target's pages to a node (move_pages); a page left elsewhere is a set-up
 * failure. A hugetlb page moves into a free page of the node's pool, which the caller sets up
 * (targets.ts).
 */
export async function moveOwnedTarget(helper: HelperSession, name: string, node: number): Promise<void> {
  const reply = await helper.movePages(name, node);
  if (!reply.ok) {
    const nodes = reply.nodes?.map((page) => page.node).join(',') ?? '?';
    throw new HarnessError('guest', `could not move target ${name} to node ${node}: ${reply.error ?? 'move_pages failed'}${reply.errnoName ? ` (${reply.errnoName})` : ''}; pages now on ${nodes}`);
  }
}
