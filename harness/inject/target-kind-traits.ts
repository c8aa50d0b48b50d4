import type { HelperTargetKind } from '../guest-helper/helper-messages.ts';
import { Y, type Need } from './kernel-needs.ts';
import { SCRATCH_FS_MODULES, SCRATCH_FS_SIZE_MIB, SCRATCH_MOUNT } from './scratch-fs.ts';
import type { TargetKnob } from './target-knobs.ts';

/**
 * The file a target's page belongs to, which the helper made and holds open (so fsync(2) has
 * something to act on):
 * - `memfd`: memfd_create(2), a shmem file in no filesystem (`shmem`);
 * - `tmpfs`: a named file under /tmp, the guest's tmpfs (`tmpfs-*`);
 * - `scratch-fs`: a named file on the filesystem at /mnt/scratch (`pagecache-*`), block-backed
 *   by default: the only one with somewhere to write dirty pages back to.
 * In the kernel, memfd and tmpfs pages are both shmem page cache; so, unseen by the helper, is
 * an `anon-shared` page (a MAP_SHARED|MAP_ANONYMOUS mapping is an internal shmem file), which
 * has no `file` here because the helper holds no descriptor of it.
 * `synced`: the helper wrote the page through the file, fsynced it and read it back in (a clean
 * page); otherwise it wrote it through its mapping and never synced it.
 */
export interface TargetFile {
  fs: 'memfd' | 'tmpfs' | 'scratch-fs';
  synced: boolean;
}

/**
 * Where `node:` and `device:` can put the page (harness/inject/placement-spec.ts): `search`
 * looks for such a page in the online memory blocks of the node (or device), `move` makes the
 * page anywhere and then moves it to the node with move_pages(2); null: not placeable so.
 */
export interface TargetPlacementTraits {
  node: 'search' | 'move' | null;
  device: 'search' | null;
}

interface CommonTraits {
  /** The page, in a few words (the docs' "the page" column, and error messages). */
  description: string;
  /** What preparing one changes in the guest, for the suite docs (harness/docs). */
  effect: string;
  /** The page comes from a hugetlb pool, which preparing it may grow (hugetlb-pool.ts: `pool:`, `size:`). */
  hugetlbPool: boolean;
  placement: TargetPlacementTraits;
  /** The `target` step's knobs this kind takes (target-knobs.ts); lint refuses the others. */
  knobs: readonly TargetKnob[];
  /** What making it needs from the kernel (implied requirements). */
  needs: Need;
}

/**
 * An `owned` kind is a page the guest helper maps (its owner: madvise, access, fsync and the
 * data checks go through that mapping), made by the helper's `alloc` of `helperKind`; the
 * others are pages nobody maps, which the harness finds in the guest.
 */
export type TargetKindTraits = CommonTraits & ({ owned: true; helperKind: HelperTargetKind; file: TargetFile | null } | { owned: false; file: null });

const SEARCHED_ANYWHERE: TargetPlacementTraits = { node: 'search', device: 'search' };
const MOVED: TargetPlacementTraits = { node: 'move', device: null };
const SCRATCH_NEEDS: Need = { modules: SCRATCH_FS_MODULES };
const TMPFS_NEEDS: Need = { config: { CONFIG_TMPFS: Y } };
const HUGETLB_NEEDS: Need = { config: { CONFIG_HUGETLB_PAGE: Y } };
/** Knobs: a page nobody maps takes none; a mapped one is one of `pages:`; hugetlb chooses its pool and mapping. */
const NO_KNOBS: readonly TargetKnob[] = [];
const MAPPED_KNOBS: readonly TargetKnob[] = ['pages', 'index'];
const POOL_KNOBS: readonly TargetKnob[] = ['pool', 'size'];
const HUGETLB_KNOBS: readonly TargetKnob[] = ['pool', 'size', 'shared', 'fault', 'pages', 'index'];

/**
 * Every kind of page a `target` step or `memharness inject --target` can ask for, with what
 * it is: the one declaration lint, implied requirements, placement, the injection observer and
 * the docs read. The helper's side is vm-images/helper/targets.c and cmd_phys.c; how each is
 * made is prepareTarget (targets.ts).
 */
const TABLE = {
  free: {
    owned: false,
    file: null,
    hugetlbPool: false,
    placement: SEARCHED_ANYWHERE,
    knobs: NO_KNOBS,
    needs: {},
    description: 'a free buddy page',
    effect: 'nothing: picks the start of the largest aligned free buddy block at or above PFN 0x10000 (256 MiB), not the lowest free page, which borders memory in use and is handed out next',
  },
  'free-movable': {
    owned: false,
    file: null,
    hugetlbPool: false,
    placement: { node: null, device: null },
    knobs: NO_KNOBS,
    needs: {},
    description: 'a free buddy page in the lowest online ZONE_MOVABLE memory block (a guest with movablecore=)',
    effect: 'nothing: picks a free page in the lowest online memory block whose `valid_zones` is only `Movable` (from its last 4 MiB when that has one), a block the kernel can offline; `block: $t0` then names that block',
  },
  slab: {
    owned: false,
    file: null,
    hugetlbPool: false,
    placement: SEARCHED_ANYWHERE,
    knobs: NO_KNOBS,
    needs: {},
    description: 'a page the slab allocator holds (kernel memory: cannot be migrated)',
    effect: 'nothing: picks the first page at or above PFN 0x1000 (16 MiB) whose kpageflags has `slab`',
  },
  'hugetlb-free': {
    owned: false,
    file: null,
    hugetlbPool: true,
    placement: { node: 'search', device: null },
    knobs: POOL_KNOBS,
    needs: HUGETLB_NEEDS,
    description: 'a free hugetlb page in the pool (head PFN)',
    effect: 'makes the pool of its size (`size:`, default 2 MiB) what `pool:` says, or at least its default (see the notes below), then picks the head PFN of a free page of that size in it (kpageflags `huge` and `compound_head`, not mapped)',
  },
  anon: {
    owned: true,
    helperKind: 'anon',
    file: null,
    hugetlbPool: false,
    placement: MOVED,
    knobs: MAPPED_KNOBS,
    needs: {},
    description: 'a private anonymous page',
    effect: 'the helper maps one private anonymous page (`mmap` `MAP_PRIVATE|MAP_ANONYMOUS`) and writes it',
  },
  'anon-shared': {
    owned: true,
    helperKind: 'anon-shared',
    file: null,
    hugetlbPool: false,
    placement: MOVED,
    knobs: MAPPED_KNOBS,
    needs: {},
    description: 'a shared anonymous page',
    effect: 'the helper maps one shared anonymous page (`MAP_SHARED|MAP_ANONYMOUS`) and writes it',
  },
  shmem: {
    owned: true,
    helperKind: 'shmem',
    file: { fs: 'memfd', synced: false },
    hugetlbPool: false,
    placement: MOVED,
    knobs: MAPPED_KNOBS,
    needs: {},
    description: 'a shmem (memfd) page',
    effect: 'the helper creates a memfd (`memfd_create`, named after the target), sizes it to one page, maps it `MAP_SHARED` and writes it',
  },
  mlocked: {
    owned: true,
    helperKind: 'mlocked',
    file: null,
    hugetlbPool: false,
    placement: MOVED,
    knobs: MAPPED_KNOBS,
    needs: {},
    description: 'an mlocked private anonymous page',
    effect: 'the helper maps one private anonymous page, `mlock`s it and writes it',
  },
  thp: {
    owned: true,
    helperKind: 'thp',
    file: null,
    hugetlbPool: false,
    placement: MOVED,
    knobs: MAPPED_KNOBS,
    needs: { config: { CONFIG_TRANSPARENT_HUGEPAGE: Y } },
    description: 'a transparent huge page (head PFN)',
    effect: "the helper maps 2 MiB of 2 MiB-aligned private anonymous memory with `madvise(MADV_HUGEPAGE)` and writes it; whether a THP backs it is the kernel's choice (nothing fails if not)",
  },
  hugetlb: {
    owned: true,
    helperKind: 'hugetlb',
    file: null,
    hugetlbPool: true,
    placement: MOVED,
    knobs: HUGETLB_KNOBS,
    needs: HUGETLB_NEEDS,
    description: 'an in-use hugetlb page, 2 MiB or 1 GiB (head PFN)',
    effect:
      'makes the pool of its size (`size:`, default 2 MiB) what `pool:` says, or at least its default (see the notes below); then the helper maps one huge page (`pages:` of them) private and anonymous (`MAP_PRIVATE|MAP_HUGETLB|MAP_HUGE_2MB`), or with `shared: true` `MAP_SHARED` from a hugetlbfs memfd, and writes it, unless `fault: false` (then it is only reserved); the rest of the pool stays free',
  },
  'pagecache-clean': {
    owned: true,
    helperKind: 'file-clean',
    file: { fs: 'scratch-fs', synced: true },
    hugetlbPool: false,
    placement: MOVED,
    knobs: MAPPED_KNOBS,
    needs: SCRATCH_NEEDS,
    description: 'a clean page-cache page of a file on a block-backed ext4',
    effect: `unless a filesystem is mounted at \`${SCRATCH_MOUNT}\` already: loads ${SCRATCH_FS_MODULES.map((m) => `\`${m}\``).join(', ')} (one ${SCRATCH_FS_SIZE_MIB} MiB RAM disk, \`/dev/ram0\`), \`mke2fs\` and \`mount -t ext4\` there; then the helper creates \`${SCRATCH_MOUNT}/<name>.data\`, writes it with write(2), fsyncs, drops it from the page cache (\`POSIX_FADV_DONTNEED\`), maps it \`MAP_SHARED\` and reads it back in`,
  },
  'pagecache-dirty': {
    owned: true,
    helperKind: 'file-dirty',
    file: { fs: 'scratch-fs', synced: false },
    hugetlbPool: false,
    placement: MOVED,
    knobs: MAPPED_KNOBS,
    needs: SCRATCH_NEEDS,
    description: 'a dirty page-cache page of a file on a block-backed ext4',
    effect: `the scratch filesystem as for \`pagecache-clean\`; the helper creates \`${SCRATCH_MOUNT}/<name>.data\`, sizes it to one page, maps it \`MAP_SHARED\` and writes it (never synced)`,
  },
  'tmpfs-clean': {
    owned: true,
    helperKind: 'file-clean',
    file: { fs: 'tmpfs', synced: true },
    hugetlbPool: false,
    placement: MOVED,
    knobs: MAPPED_KNOBS,
    needs: TMPFS_NEEDS,
    description: 'a page of a file on tmpfs (shmem-backed page cache)',
    effect: "the helper creates `/tmp/<name>.data` (the guest's tmpfs) and makes it as for `pagecache-clean`; tmpfs has nothing to write back to, so the kernel still sees a dirty page",
  },
  'tmpfs-dirty': {
    owned: true,
    helperKind: 'file-dirty',
    file: { fs: 'tmpfs', synced: false },
    hugetlbPool: false,
    placement: MOVED,
    knobs: MAPPED_KNOBS,
    needs: TMPFS_NEEDS,
    description: 'a written page of a file on tmpfs',
    effect: 'the helper creates `/tmp/<name>.data`, sizes it to one page, maps it `MAP_SHARED` and writes it',
  },
} as const satisfies Record<string, TargetKindTraits>;

export type TargetKind = keyof typeof TABLE;

export const TARGET_KIND_TRAITS: Readonly<Record<TargetKind, TargetKindTraits>> = TABLE;

/** Every target kind, in the table's order (the order docs, choices and "expected one of" list them). */
export const TARGET_KIND_NAMES = Object.keys(TABLE) as [TargetKind, ...TargetKind[]];

export function isTargetKind(value: string): value is TargetKind {
  return Object.hasOwn(TABLE, value);
}

/** The kinds whose traits satisfy `test`, in the table's order. */
export function targetKindsWhere(test: (traits: TargetKindTraits, kind: TargetKind) => boolean): TargetKind[] {
  return TARGET_KIND_NAMES.filter((kind) => test(TARGET_KIND_TRAITS[kind], kind));
}

/** Kinds whose page belongs to a file the helper holds open, so fsync(2) has something to act on. */
export const FILE_TARGET_KINDS: readonly TargetKind[] = targetKindsWhere((traits) => traits.file !== null);
