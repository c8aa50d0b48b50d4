import type { HelperSession } from '../guest-helper/helper-session.ts';
import type { HelperTarget, HelperTargetKind } from '../guest-helper/helper-messages.ts';
import { HarnessError } from '../util/errors.ts';
import type { Guest } from '../vm/guest.ts';
import type { PageTarget } from './injection.ts';
import { ensureScratchFs } from './scratch-fs.ts';

/**
 * The page kinds a person can ask `memharness inject --target` for, and how each is made.
 * `owned` kinds are pages the helper maps (so madvise and access work on them); the others
 * are pages nobody maps.
 */
export const TARGET_KINDS = {
  free: { owned: false, description: 'a free buddy page' },
  'hugetlb-free': { owned: false, description: 'a free hugetlb page in the pool (head PFN)' },
  anon: { owned: true, helperKind: 'anon', description: 'a private anonymous page' },
  'anon-shared': { owned: true, helperKind: 'anon-shared', description: 'a shared anonymous page' },
  shmem: { owned: true, helperKind: 'shmem', description: 'a shmem (memfd) page' },
  mlocked: { owned: true, helperKind: 'mlocked', description: 'an mlocked private anonymous page' },
  thp: { owned: true, helperKind: 'thp', description: 'a transparent huge page (head PFN)' },
  hugetlb: { owned: true, helperKind: 'hugetlb', description: 'an in-use 2 MiB hugetlb page (head PFN)' },
  'pagecache-clean': { owned: true, helperKind: 'file-clean', description: 'a clean page-cache page of a file on a block-backed ext4' },
  'pagecache-dirty': { owned: true, helperKind: 'file-dirty', description: 'a dirty page-cache page of a file on a block-backed ext4' },
  'tmpfs-clean': { owned: true, helperKind: 'file-clean', description: 'a page of a file on tmpfs (shmem-backed page cache)' },
  'tmpfs-dirty': { owned: true, helperKind: 'file-dirty', description: 'a written page of a file on tmpfs' },
} as const satisfies Record<string, { owned: boolean; helperKind?: HelperTargetKind; description: string }>;

export type TargetKind = keyof typeof TARGET_KINDS;

export function isTargetKind(value: string): value is TargetKind {
  return Object.hasOwn(TARGET_KINDS, value);
}

export interface PreparedTarget {
  page: PageTarget;
  /** The helper's view (owned kinds only), for PFN-moved and data checks later. */
  helperTarget: HelperTarget | null;
  fillSeed: number | null;
}

const HUGETLB_POOL = 4;

/** Makes a page of the given kind exist and says where it is. */
export async function prepareTarget(guest: Guest, helper: HelperSession, kind: TargetKind, name = 't0'): Promise<PreparedTarget> {
  const spec = TARGET_KINDS[kind];
  if (kind === 'hugetlb' || kind === 'hugetlb-free') await reserveHugepages(guest, HUGETLB_POOL);
  if (!spec.owned) {
    const pfns = kind === 'free' ? await helper.freePages(1) : await helper.freeHugepages(1);
    const pfn = pfns[0];
    if (pfn === undefined) throw new HarnessError('guest', `no ${spec.description} found in the guest`);
    return { page: { kind, pfn }, helperTarget: null, fillSeed: null };
  }
  let path: string | undefined;
  if (kind === 'pagecache-clean' || kind === 'pagecache-dirty') path = `${await ensureScratchFs(guest)}/${name}.data`;
  if (kind === 'tmpfs-clean' || kind === 'tmpfs-dirty') path = `/tmp/${name}.data`;
  // alloc leaves every page holding the seed-0 pattern (file-clean ones written through the
  // file and synced, so they stay clean): the data check after a soft offline needs no fill.
  await helper.alloc(name, spec.helperKind, 1, path);
  const fillSeed = 0;
  const target = await helper.pages(name);
  const first = target.pages[0];
  if (!first?.pfn) throw new HarnessError('guest', `the helper's ${kind} page is not present (no PFN in pagemap)`);
  return {
    page: { kind, pfn: BigInt(first.pfn), owner: { helper, name, index: 0, vaddr: BigInt(first.vaddr) } },
    helperTarget: target,
    fillSeed,
  };
}

async function reserveHugepages(guest: Guest, count: number): Promise<void> {
  const result = await guest.exec(`echo ${count} > /proc/sys/vm/nr_hugepages; cat /proc/sys/vm/nr_hugepages`);
  const got = Number(result.stdout.trim());
  if (!(got >= 1)) throw new HarnessError('guest', `could not reserve hugetlb pages (nr_hugepages is ${result.stdout.trim() || 'unreadable'}): ${result.stderr.trim()}`);
}
