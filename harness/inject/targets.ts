import type { HelperSession } from '../guest-helper/helper-session.ts';
import type { HelperTarget } from '../guest-helper/helper-messages.ts';
import { HarnessError } from '../util/errors.ts';
import type { Guest } from '../vm/guest.ts';
import type { PageTarget } from './injection.ts';
import { moveOwnedTarget, placedPage, type TargetPlacement } from './placement.ts';
import { ensureScratchFs } from './scratch-fs.ts';
import { HUGETLB_POOL, TARGET_KIND_TRAITS, type TargetKind } from './target-kind-traits.ts';

// What each kind is (owned, file, placement, needs, docs) is declared in target-kind-traits.ts;
// this file makes them. TargetKind is re-exported for the modules that prepare targets.
export type { TargetKind } from './target-kind-traits.ts';

/** The seed whose pattern the helper's alloc writes into every new owned page (targets.c). */
export const PREPARED_FILL_SEED = 0;

export interface PreparedTarget {
  page: PageTarget;
  /** The helper's view (owned kinds only), for PFN-moved and data checks later. */
  helperTarget: HelperTarget | null;
  fillSeed: number | null;
}

/** Makes a page of the given kind exist and says where it is (on a node or in a device: placement.ts). */
export async function prepareTarget(guest: Guest, helper: HelperSession, kind: TargetKind, name = 't0', placement?: TargetPlacement): Promise<PreparedTarget> {
  const spec = TARGET_KIND_TRAITS[kind];
  if (spec.hugetlbPool) await reserveHugepages(guest, HUGETLB_POOL);
  if (!spec.owned) {
    let pfns: bigint[];
    if (placement) pfns = [await placedPage(guest, helper, kind, placement)];
    else if (kind === 'free') pfns = await helper.freePages(1);
    else if (kind === 'free-movable') pfns = [await freeMovablePage(guest, helper)];
    else if (kind === 'slab') pfns = await helper.slabPages(1);
    else pfns = await helper.freeHugepages(1);
    const pfn = pfns[0];
    if (pfn === undefined) throw new HarnessError('guest', `no ${spec.description} found in the guest`);
    return { page: { kind, pfn }, helperTarget: null, fillSeed: null };
  }
  let path: string | undefined;
  if (spec.file?.fs === 'scratch-fs') path = `${await ensureScratchFs(guest)}/${name}.data`;
  if (spec.file?.fs === 'tmpfs') path = `/tmp/${name}.data`;
  // alloc leaves every page holding the PREPARED_FILL_SEED pattern (file-clean ones written
  // through the file and synced, so they stay clean): the data check after a soft offline needs no fill.
  await helper.alloc(name, spec.helperKind, 1, path);
  if (placement?.node !== undefined) await moveOwnedTarget(guest, helper, name, kind, placement.node);
  const fillSeed = PREPARED_FILL_SEED;
  const target = await helper.pages(name);
  const first = target.pages[0];
  if (!first?.pfn) throw new HarnessError('guest', `the helper's ${kind} page is not present (no PFN in pagemap)`);
  return {
    page: { kind, pfn: BigInt(first.pfn), owner: { helper, name, index: 0, vaddr: BigInt(first.vaddr) } },
    helperTarget: target,
    fillSeed,
  };
}

/** Pages in the largest buddy block (order 10, 4 MiB with 4 KiB pages). */
const MAX_ORDER_PAGES = 1024n;

/**
 * A free page in the lowest online memory block whose only zone is Movable. Memory-block
 * cases select their block as `$t0` through such a page: a ZONE_MOVABLE block is one the
 * kernel can offline, and the lowest one is the safest pick, because boot-time (memblock)
 * allocations sit at the top of memory and the firmware's reserved tail can leave a hole in
 * the last block; either makes offlining fail (EBUSY, EINVAL) for reasons unrelated to a test.
 * Within the block the page comes from its last 4 MiB when that has one: the lowest free page
 * borders the pages in use and is the next one handed out (the "before" snapshot's own shell
 * commands were seen to take it), while the top of the block is a large free block, split last.
 */
async function freeMovablePage(guest: Guest, helper: HelperSession): Promise<bigint> {
  const listing = await guest.exec(
    'cd /sys/devices/system/memory && cat block_size_bytes && for b in memory[0-9]*; do [ "$(cat $b/state)" = online ] && [ "$(cat $b/valid_zones)" = Movable ] && echo "$b"; done; true',
  );
  const [sizeLine, ...blockLines] = listing.stdout.trim().split('\n');
  const blockBytes = BigInt(`0x${(sizeLine ?? '').trim() || '0'}`);
  const blocks = blockLines.map((line) => /^memory(\d+)$/.exec(line.trim())).flatMap((match) => (match ? [BigInt(match[1]!)] : []));
  if (blockBytes === 0n || blocks.length === 0) {
    throw new HarnessError('guest', `the guest has no online ZONE_MOVABLE memory block (boot it with movablecore=, e.g. guest: { cmdline: [movablecore=512M] })${listing.stderr.trim() ? `: ${listing.stderr.trim()}` : ''}`);
  }
  const pagesPerBlock = blockBytes / 4096n;
  const lowest = blocks.reduce((a, b) => (b < a ? b : a));
  const blockEnd = (lowest + 1n) * pagesPerBlock;
  let [pfn] = await helper.freePages(1, blockEnd - (MAX_ORDER_PAGES < pagesPerBlock ? MAX_ORDER_PAGES : pagesPerBlock));
  if (pfn === undefined || pfn >= blockEnd) [pfn] = await helper.freePages(1, lowest * pagesPerBlock);
  if (pfn === undefined || !blocks.includes(pfn / pagesPerBlock)) {
    throw new HarnessError('guest', `no free page in an online ZONE_MOVABLE block (the first free page from memory${lowest} on is ${pfn === undefined ? 'none' : `0x${pfn.toString(16)}`})`);
  }
  return pfn;
}

async function reserveHugepages(guest: Guest, count: number): Promise<void> {
  const result = await guest.exec(`echo ${count} > /proc/sys/vm/nr_hugepages; cat /proc/sys/vm/nr_hugepages`);
  const got = Number(result.stdout.trim());
  if (!(got >= 1)) throw new HarnessError('guest', `could not reserve hugetlb pages (nr_hugepages is ${result.stdout.trim() || 'unreadable'}): ${result.stderr.trim()}`);
}
