import type { HelperSession } from '../guest-helper/helper-session.ts';
import type { HelperTarget, HelperTargetKind } from '../guest-helper/helper-messages.ts';
import { HarnessError } from '../util/errors.ts';
import type { Guest } from '../vm/guest.ts';
import type { PageTarget } from './injection.ts';
import { moveOwnedTarget, placedPage, type TargetPlacement } from './placement.ts';
import { ensureScratchFs, SCRATCH_FS_MODULES, SCRATCH_FS_SIZE_MIB, SCRATCH_MOUNT } from './scratch-fs.ts';

/** Pages in the hugetlb pool a hugetlb target asks for (vm.nr_hugepages is set to this). */
export const HUGETLB_POOL = 4;

/**
 * The page kinds a person can ask `memharness inject --target` for, and how each is made.
 * `owned` kinds are pages the helper maps (so madvise and access work on them); the others
 * are pages nobody maps. `effect` says what preparing one changes in the guest, for the
 * suite docs (harness/docs): the helper's side is vm-images/helper/targets.c and cmd_phys.c.
 */
export const TARGET_KINDS = {
  free: {
    owned: false,
    description: 'a free buddy page',
    effect: 'nothing: picks the start of the largest aligned free buddy block at or above PFN 0x10000 (256 MiB), not the lowest free page, which borders memory in use and is handed out next',
  },
  'free-movable': {
    owned: false,
    description: 'a free buddy page in the lowest online ZONE_MOVABLE memory block (a guest with movablecore=)',
    effect: 'nothing: picks a free page in the lowest online memory block whose `valid_zones` is only `Movable` (from its last 4 MiB when that has one), a block the kernel can offline; `block: $t0` then names that block',
  },
  slab: {
    owned: false,
    description: 'a page the slab allocator holds (kernel memory: cannot be migrated)',
    effect: 'nothing: picks the first page at or above PFN 0x1000 (16 MiB) whose kpageflags has `slab`',
  },
  'hugetlb-free': {
    owned: false,
    description: 'a free hugetlb page in the pool (head PFN)',
    effect: `writes ${HUGETLB_POOL} to \`/proc/sys/vm/nr_hugepages\` (the default-size pool becomes ${HUGETLB_POOL} pages, replacing whatever the case set before), then picks the head PFN of a free pool page (kpageflags \`huge\` and \`compound_head\`, not mapped)`,
  },
  anon: { owned: true, helperKind: 'anon', description: 'a private anonymous page', effect: 'the helper maps one private anonymous page (`mmap` `MAP_PRIVATE|MAP_ANONYMOUS`) and writes it' },
  'anon-shared': { owned: true, helperKind: 'anon-shared', description: 'a shared anonymous page', effect: 'the helper maps one shared anonymous page (`MAP_SHARED|MAP_ANONYMOUS`) and writes it' },
  shmem: { owned: true, helperKind: 'shmem', description: 'a shmem (memfd) page', effect: 'the helper creates a memfd (`memfd_create`, named after the target), sizes it to one page, maps it `MAP_SHARED` and writes it' },
  mlocked: { owned: true, helperKind: 'mlocked', description: 'an mlocked private anonymous page', effect: 'the helper maps one private anonymous page, `mlock`s it and writes it' },
  thp: {
    owned: true,
    helperKind: 'thp',
    description: 'a transparent huge page (head PFN)',
    effect: 'the helper maps 2 MiB of 2 MiB-aligned private anonymous memory with `madvise(MADV_HUGEPAGE)` and writes it; whether a THP backs it is the kernel\'s choice (nothing fails if not)',
  },
  hugetlb: {
    owned: true,
    helperKind: 'hugetlb',
    description: 'an in-use 2 MiB hugetlb page (head PFN)',
    effect: `writes ${HUGETLB_POOL} to \`/proc/sys/vm/nr_hugepages\` (replacing whatever the case set before), then the helper maps one 2 MiB page (\`MAP_HUGETLB|MAP_HUGE_2MB\`) and writes it; the rest of the pool stays free`,
  },
  'pagecache-clean': {
    owned: true,
    helperKind: 'file-clean',
    description: 'a clean page-cache page of a file on a block-backed ext4',
    effect: `unless a filesystem is mounted at \`${SCRATCH_MOUNT}\` already: loads ${SCRATCH_FS_MODULES.map((m) => `\`${m}\``).join(', ')} (one ${SCRATCH_FS_SIZE_MIB} MiB RAM disk, \`/dev/ram0\`), \`mke2fs\` and \`mount -t ext4\` there; then the helper creates \`${SCRATCH_MOUNT}/<name>.data\`, writes it with write(2), fsyncs, drops it from the page cache (\`POSIX_FADV_DONTNEED\`), maps it \`MAP_SHARED\` and reads it back in`,
  },
  'pagecache-dirty': {
    owned: true,
    helperKind: 'file-dirty',
    description: 'a dirty page-cache page of a file on a block-backed ext4',
    effect: `the scratch filesystem as for \`pagecache-clean\`; the helper creates \`${SCRATCH_MOUNT}/<name>.data\`, sizes it to one page, maps it \`MAP_SHARED\` and writes it (never synced)`,
  },
  'tmpfs-clean': {
    owned: true,
    helperKind: 'file-clean',
    description: 'a page of a file on tmpfs (shmem-backed page cache)',
    effect: 'the helper creates `/tmp/<name>.data` (the guest\'s tmpfs) and makes it as for `pagecache-clean`; tmpfs has nothing to write back to, so the kernel still sees a dirty page',
  },
  'tmpfs-dirty': { owned: true, helperKind: 'file-dirty', description: 'a written page of a file on tmpfs', effect: 'the helper creates `/tmp/<name>.data`, sizes it to one page, maps it `MAP_SHARED` and writes it' },
} as const satisfies Record<string, { owned: boolean; helperKind?: HelperTargetKind; description: string; effect: string }>;

export type TargetKind = keyof typeof TARGET_KINDS;

export function isTargetKind(value: string): value is TargetKind {
  return Object.hasOwn(TARGET_KINDS, value);
}

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
  const spec = TARGET_KINDS[kind];
  if (kind === 'hugetlb' || kind === 'hugetlb-free') await reserveHugepages(guest, HUGETLB_POOL);
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
  if (kind === 'pagecache-clean' || kind === 'pagecache-dirty') path = `${await ensureScratchFs(guest)}/${name}.data`;
  if (kind === 'tmpfs-clean' || kind === 'tmpfs-dirty') path = `/tmp/${name}.data`;
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
