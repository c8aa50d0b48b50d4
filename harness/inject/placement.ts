import { HelperError, type HelperSession } from '../guest-helper/helper-session.ts';
import { HarnessError } from '../util/errors.ts';
import type { Guest } from '../vm/guest.ts';
import { blocksOfRange, blockSizeBytes, describeBlocks, memoryDevice } from '../vm/memory-devices.ts';
import { describePlacement, type TargetPlacement } from './placement-spec.ts';
import { TARGET_KIND_TRAITS, type TargetKind } from './target-kind-traits.ts';

export { describePlacement, placementProblem, type TargetPlacement } from './placement-spec.ts';

/** Boot-time allocations sit low; below 256 MiB the helper never looks for free pages. */
const LOWEST_SEARCH_PFN = 0x10000n;
const PAGE = 4096n;
export const HUGETLB_POOL_PER_NODE = 4;

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

/** A page nobody owns (free, slab, free hugetlb head) inside the placement's online blocks. */
export async function placedPage(guest: Guest, helper: HelperSession, kind: TargetKind, placement: TargetPlacement): Promise<bigint> {
  if (TARGET_KIND_TRAITS[kind].hugetlbPool) return placedFreeHugepage(guest, helper, placement);
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

/** Grows the node's 2 MiB hugetlb pool by a few pages (on top of whatever it has). */
export async function reserveHugepagesOnNode(guest: Guest, node: number, more = HUGETLB_POOL_PER_NODE): Promise<void> {
  const file = `/sys/devices/system/node/node${node}/hugepages/hugepages-2048kB/nr_hugepages`;
  const result = await guest.exec(`n=$(cat ${file}) && echo $((n + ${more})) > ${file} && cat ${file}`);
  if (result.exitCode !== 0 || !(Number(result.stdout.trim()) >= more)) {
    throw new HarnessError('guest', `could not reserve ${more} hugetlb pages on node ${node} (${file} reads ${result.stdout.trim() || 'nothing'}): ${result.stderr.trim()}`);
  }
}

async function placedFreeHugepage(guest: Guest, helper: HelperSession, placement: TargetPlacement): Promise<bigint> {
  if (placement.node === undefined) throw new HarnessError('usage', 'a hugetlb-free page is placed with node:, not device:');
  await reserveHugepagesOnNode(guest, placement.node);
  const { blocks, blockBytes } = await placementBlocks(guest, placement);
  const free = await guest.exec("awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo");
  const count = Number(free.stdout.trim());
  if (!(count >= 1)) throw new HarnessError('guest', `no free hugetlb page after reserving on node ${placement.node}`);
  const heads = await helper.freeHugepages(Math.min(count, 4096));
  const pagesPerBlock = blockBytes / PAGE;
  const onNode = heads.find((pfn) => blocks.includes(Number(pfn / pagesPerBlock)));
  if (onNode === undefined) throw new HarnessError('guest', `none of the ${heads.length} free hugetlb pages is on node ${placement.node} (online blocks ${describeBlocks(blocks)})`);
  return onNode;
}

/** Moves an owned target's pages to a node (move_pages); a page left elsewhere is a set-up failure. */
export async function moveOwnedTarget(guest: Guest, helper: HelperSession, name: string, kind: TargetKind, node: number): Promise<void> {
  // Migrating a hugetlb page needs a free one on the destination node.
  if (TARGET_KIND_TRAITS[kind].hugetlbPool) await reserveHugepagesOnNode(guest, node);
  const reply = await helper.movePages(name, node);
  if (!reply.ok) {
    const nodes = reply.nodes?.map((page) => page.node).join(',') ?? '?';
    throw new HarnessError('guest', `could not move target ${name} to node ${node}: ${reply.error ?? 'move_pages failed'}${reply.errnoName ? ` (${reply.errnoName})` : ''}; pages now on ${nodes}`);
  }
}
