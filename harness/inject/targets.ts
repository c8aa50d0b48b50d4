import type { HelperSession } from '../guest-helper/helper-session.ts';
import type { HelperTarget } from '../guest-helper/helper-messages.ts';
import { HarnessError } from '../util/errors.ts';
import type { Guest } from '../vm/guest.ts';
import { ensureHugetlbPool, sizeKb } from './hugetlb-pool.ts';
import type { PageTarget } from './injection.ts';
import { moveOwnedTarget, placedPage, type TargetPlacement } from './placement.ts';
import { ensureScratchFs } from './scratch-fs.ts';
import { TARGET_KIND_TRAITS, type TargetKind } from './target-kind-traits.ts';
import { resolveKnobs, type ResolvedKnobs, type TargetKnobs } from './target-knobs.ts';

// What each kind is (owned, file, placement, knobs, needs, docs) is declared in
// target-kind-traits.ts; this file makes them. TargetKind is re-exported for the modules that
// prepare targets.
export type { TargetKind } from './target-kind-traits.ts';

/** The seed whose pattern the helper's alloc writes into every new owned page (targets.c). */
export const PREPARED_FILL_SEED = 0;

export interface PreparedTarget {
  page: PageTarget;
  /** The helper's view (owned kinds only), for PFN-moved and data checks later. */
  helperTarget: HelperTarget | null;
  fillSeed: number | null;
}

/**
 * A target mapped but not faulted in (`fault: false`): the mapping holds a reservation, no
 * page. It has an address and no PFN until a step touches it (helper-steps.ts faultedIn).
 */
export interface ReservedTarget {
  kind: TargetKind;
  owner: NonNullable<PageTarget['owner']>;
  helperTarget: HelperTarget;
}

/** What a target step asks for: the kind, its name, where (placement) and how (knobs). */
export interface TargetRequest {
  kind: TargetKind;
  name: string;
  placement?: TargetPlacement | undefined;
  knobs?: TargetKnobs | undefined;
}

export interface TargetSetUp {
  /** The page; null while the target is only reserved (`fault: false`). */
  prepared: PreparedTarget | null;
  reserved: ReservedTarget | null;
  /** What preparing it did to the guest beyond the page, for the step summary: the hugetlb pools, from what to what. */
  notes: string[];
}

/** Makes a page of the given kind exist and says where it is (on a node or in a device: placement.ts). */
export async function prepareTarget(guest: Guest, helper: HelperSession, kind: TargetKind, name = 't0', placement?: TargetPlacement): Promise<PreparedTarget> {
  const setUp = await setUpTarget(guest, helper, { kind, name, placement });
  if (!setUp.prepared) throw new Error(`internal: target ${name} was only reserved`);
  return setUp.prepared;
}

/** Sets a target up as its step says: the pool (hugetlb kinds), the page or the reservation, its placement. */
export async function setUpTarget(guest: Guest, helper: HelperSession, request: TargetRequest): Promise<TargetSetUp> {
  const { kind, name, placement } = request;
  const spec = TARGET_KIND_TRAITS[kind];
  const knobs = resolveKnobs(request.knobs);
  const notes = spec.hugetlbPool ? await setUpHugetlbPools(guest, kind, knobs, placement) : [];
  if (!spec.owned) {
    let pfns: bigint[];
    if (placement) pfns = [await placedPage(guest, helper, kind, placement, knobs.size)];
    else if (kind === 'free') pfns = await helper.freePages(1);
    else if (kind === 'free-movable') pfns = [await freeMovablePage(guest, helper)];
    else if (kind === 'slab') pfns = await helper.slabPages(1);
    else pfns = await helper.freeHugepages(1, sizeKb(knobs.size));
    const pfn = pfns[0];
    if (pfn === undefined) throw new HarnessError('guest', `no ${spec.description} found in the guest`);
    return { prepared: { page: { kind, pfn }, helperTarget: null, fillSeed: null }, reserved: null, notes };
  }
  let path: string | undefined;
  if (spec.file?.fs === 'scratch-fs') path = `${await ensureScratchFs(guest)}/${name}.data`;
  if (spec.file?.fs === 'tmpfs') path = `/tmp/${name}.data`;
  // alloc leaves every page holding the PREPARED_FILL_SEED pattern (file-clean ones written
  // through the file and synced, so they stay clean): the data check after a soft offline
  // needs no fill. With fault: false it touches nothing.
  await helper.alloc(name, spec.helperKind, knobs.pages, path, kind === 'hugetlb' ? hugetlbAllocOptions(knobs) : []);
  if (!knobs.fault) {
    const target = await helper.pages(name);
    const page = target.pages[knobs.index];
    if (!page) throw new HarnessError('guest', `the helper's ${kind} mapping has no page ${knobs.index}`);
    return { prepared: null, reserved: { kind, owner: { helper, name, index: knobs.index, vaddr: BigInt(page.vaddr) }, helperTarget: target }, notes };
  }
  if (placement?.node !== undefined) await moveOwnedTarget(helper, name, placement.node);
  const target = await helper.pages(name);
  const page = target.pages[knobs.index];
  if (!page?.pfn) throw new HarnessError('guest', `the helper's ${kind} page ${knobs.index} is not present (no PFN in pagemap)`);
  return {
    prepared: { page: { kind, pfn: BigInt(page.pfn), owner: { helper, name, index: knobs.index, vaddr: BigInt(page.vaddr) } }, helperTarget: target, fillSeed: PREPARED_FILL_SEED },
    reserved: null,
    notes,
  };
}

/** The helper's alloc options for a hugetlb target (PROTOCOL.md): the defaults are left out. */
function hugetlbAllocOptions(knobs: ResolvedKnobs): string[] {
  return [...(knobs.size === '2M' ? [] : [`size=${knobs.size}`]), ...(knobs.shared ? ['shared'] : []), ...(knobs.fault ? [] : ['nofault'])];
}

/**
 * The pools a hugetlb target takes its page from, as decidePool (hugetlb-pool.ts) says. With
 * `node:`, `pool:` is that node's pool, the only one touched; without `pool:` the size's pool
 * gets the default first, then the node's (a free page to find there, or to move into).
 */
async function setUpHugetlbPools(guest: Guest, kind: TargetKind, knobs: ResolvedKnobs, placement: TargetPlacement | undefined): Promise<string[]> {
  const need = kind === 'hugetlb' ? knobs.pages : 1;
  const node = placement?.node ?? null;
  const pool = (at: number | null, wanted: number | null) => ensureHugetlbPool(guest, { size: knobs.size, pool: wanted, node: at, need });
  if (node === null) return [await pool(null, knobs.pool)];
  if (knobs.pool !== null) return [await pool(node, knobs.pool)];
  return [await pool(null, null), await pool(node, null)];
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
