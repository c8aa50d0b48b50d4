import { DEFAULT_POOL, HUGEPAGE_SIZES, type HugepageSize } from './hugetlb-pool.ts';
import { TARGET_KIND_NAMES, TARGET_KIND_TRAITS, type TargetKind } from './target-kind-traits.ts';

/**
 * The set-up a `target` step lets a case choose, beyond its kind and placement: the knobs the
 * kernel's paths depend on. Which kinds take which is each kind's `knobs` (target-kind-traits.ts);
 * lint refuses the others at the key.
 */
export const TARGET_KNOB_NAMES = ['pool', 'size', 'shared', 'fault', 'pages', 'index'] as const;
export type TargetKnob = (typeof TARGET_KNOB_NAMES)[number];

/** The knobs as a step writes them (unset: the default). */
export interface TargetKnobs {
  pool?: number;
  size?: HugepageSize;
  shared?: boolean;
  fault?: boolean;
  pages?: number;
  index?: number;
}

/** Every knob with its default applied (pool null: the harness's default pool). */
export interface ResolvedKnobs {
  pool: number | null;
  size: HugepageSize;
  shared: boolean;
  fault: boolean;
  pages: number;
  index: number;
}

/** The helper's caps on a target's pages (vm-images/helper/targets.h MAX_*_PAGES). */
const MAX_BASE_PAGES = 2048;
const MAX_HUGE_PAGES = 64;

export const TARGET_KNOB_DOCS: Readonly<Record<TargetKnob, { form: string; meaning: string }>> = {
  pool: {
    form: 'pool: 2',
    meaning: `the huge pages of the target's size the pool (\`nr_hugepages\`; with \`node:\`, that node's) has before the page is taken: written only when it is not that already. Without it the pool grows to ${DEFAULT_POOL['2M']} (2 MiB) or ${DEFAULT_POOL['1G']} (1 GiB), or further when the target's pages are not free, and is never shrunk: a pool the case made larger is left as it is. The step summary says the pool's size before and what was done to it`,
  },
  size: {
    form: 'size: 1G',
    meaning: `the huge page size, ${HUGEPAGE_SIZES.map((size) => `\`${size}\``).join(' or ')} (default \`2M\`): the pool under \`/sys/kernel/mm/hugepages/hugepages-<size>kB\`. 1 GiB pages need a guest booted with them (\`guest: { cmdline: [hugepagesz=1G, hugepages=N] }\`, and a CPU with 1 GiB pages: \`cpuModel: 'qemu64,vendor=GenuineIntel,+rdrand,+pdpe1gb'\`); lint cannot see the boot pool, so a missing one fails the step, naming the cmdline to add`,
  },
  shared: {
    form: 'shared: true',
    meaning: "`MAP_SHARED` mapping of a hugetlbfs file (a `memfd_create(MFD_HUGETLB)` memfd, on the kernel's internal hugetlbfs mount): the page is hugetlbfs page cache, which memory_failure() keeps in the file, instead of the default `MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB` anonymous page it unmaps and dissolves",
  },
  fault: {
    form: 'fault: false',
    meaning:
      'maps the pages without touching them: the mapping reserves them (`HugePages_Rsvd`) but none is allocated, so the target has no PFN yet. `$t0` (and `$t0.phys`, `pages.$t0`, `block: $t0`) means nothing until an `access`, `fill` or `verify` step faults the page in; from then on it is the PFN the page got. Lint refuses `inject` and `migrate` on it before such a step, and PFN references in expectations when no step faults it in; `$t0.vaddr` works throughout',
  },
  pages: {
    form: 'pages: 4',
    meaning: `how many pages the helper maps for the target (huge pages for \`thp\` and \`hugetlb\`; at most ${MAX_BASE_PAGES}, ${MAX_HUGE_PAGES} huge): the target's page is one of them (\`index:\`), the others are its neighbours in the same mapping (or file)`,
  },
  index: {
    form: 'index: 2',
    meaning: 'which of the `pages:` is the target page (0 to `pages:`-1, default 0): `$t0`, `$t0.vaddr`, the `madvise-*` and `mce-srar` injections and `access: t0` mean that page',
  },
};

/** The kinds that take a knob, in the table's order. */
export function kindsWithKnob(knob: TargetKnob): TargetKind[] {
  return TARGET_KIND_NAMES.filter((kind) => TARGET_KIND_TRAITS[kind].knobs.includes(knob));
}

function maxPages(kind: TargetKind): number {
  return kind === 'thp' || kind === 'hugetlb' ? MAX_HUGE_PAGES : MAX_BASE_PAGES;
}

/** What is wrong with a target's knobs for its kind, each at its key. Checked when a suite is loaded. */
export function knobProblems(kind: TargetKind, knobs: TargetKnobs): Array<{ knob: TargetKnob; message: string }> {
  const problems: Array<{ knob: TargetKnob; message: string }> = [];
  const allowed = TARGET_KIND_TRAITS[kind].knobs;
  for (const knob of TARGET_KNOB_NAMES) {
    if (knobs[knob] === undefined || allowed.includes(knob)) continue;
    const takers = kindsWithKnob(knob);
    problems.push({ knob, message: `${knob} is for ${takers.join(', ')}; a '${kind}' target ${allowed.length > 0 ? `takes ${allowed.join(', ')}` : `takes none of ${TARGET_KNOB_NAMES.join(', ')}`}` });
  }
  if (knobs.pages !== undefined && allowed.includes('pages') && knobs.pages > maxPages(kind)) {
    problems.push({ knob: 'pages', message: `a '${kind}' target has at most ${maxPages(kind)} pages (the helper's cap), not ${knobs.pages}` });
  }
  if (knobs.index !== undefined && allowed.includes('index')) {
    const count = knobs.pages ?? 1;
    if (knobs.index >= count) problems.push({ knob: 'index', message: `index: ${knobs.index} is not one of the target's ${count} page${count === 1 ? '' : 's'} (0..${count - 1}); set pages: to more` });
  }
  return problems;
}

export function resolveKnobs(knobs: TargetKnobs | undefined): ResolvedKnobs {
  return {
    pool: knobs?.pool ?? null,
    size: knobs?.size ?? '2M',
    shared: knobs?.shared ?? false,
    fault: knobs?.fault ?? true,
    pages: knobs?.pages ?? 1,
    index: knobs?.index ?? 0,
  };
}

/** The knobs as the step summary and `inject` records say them ("2M shared, 4 pages"); '' for none. */
export function describeKnobs(knobs: TargetKnobs | undefined): string {
  if (!knobs) return '';
  const words = [
    knobs.size,
    knobs.shared === undefined ? undefined : knobs.shared ? 'shared' : 'private',
    knobs.fault === false ? 'not faulted in' : undefined,
    knobs.pages === undefined ? undefined : `page ${knobs.index ?? 0} of ${knobs.pages}`,
  ].filter((word) => word !== undefined);
  return words.join(', ');
}
