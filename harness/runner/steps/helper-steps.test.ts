import { describe, expect, it } from 'vitest';
import type { HelperSession } from '../../guest-helper/helper-session.ts';
import type { HelperTarget } from '../../guest-helper/helper-messages.ts';
import type { StepAction } from '../../suite/index.ts';
import type { Guest } from '../../vm/guest.ts';
import type { CaseContext } from '../case-context.ts';
import { runHelperStep, targetOf } from './helper-steps.ts';

// A target step against a guest whose sysfs is a few numbers and a helper that is a fake:
// what the harness writes to the pool, what it asks the helper for, what the summary says,
// and how a `fault: false` target gets its PFN.

interface Pool {
  nr: number;
  free: number;
  resv: number;
}

/** A guest with 2 MiB pools only (no 1 GiB directory), answering the pool reads and writes. */
function fakeGuest(pool: Pool) {
  const writes: number[] = [];
  const guest = {
    async exec(command: string) {
      const write = /echo (\d+) > \/sys\/kernel\/mm\/hugepages\/hugepages-2048kB\/nr_hugepages/.exec(command);
      if (write) {
        const nr = Number(write[1]);
        writes.push(nr);
        pool.free += nr - pool.nr;
        pool.nr = nr;
      }
      const stdout = command.includes('hugepages-2048kB ]') ? `${pool.nr}\n${pool.free}\n0\n${pool.resv}\n` : 'missing\n';
      return { stdout, stderr: '', exitCode: 0, signal: null, durationMs: 1, truncated: false };
    },
  };
  return { guest: guest as unknown as Guest, writes };
}

/** A helper holding one mapping per target; a reserved one has no PFN until it is touched. */
function fakeHelper(pool: Pool) {
  const requests: unknown[][] = [];
  const present = new Map<string, boolean>();
  const targetOfName = (name: string): HelperTarget => ({
    name,
    kind: 'hugetlb',
    vaddr: '0x7f0000000000',
    length: 2 << 20,
    pageSize: 2 << 20,
    pages: [{ index: 0, vaddr: '0x7f0000000000', pfn: present.get(name) ? '0x12200' : null, flags: null, names: [] }],
  });
  const helper = {
    async alloc(name: string, kind: string, count: number, path: string | undefined, options: readonly string[]) {
      requests.push(['alloc', name, kind, count, path, ...options]);
      pool.resv += 1;
      present.set(name, !options.includes('nofault'));
      if (!options.includes('nofault')) {
        pool.resv -= 1;
        pool.free -= 1;
      }
      return targetOfName(name);
    },
    async pages(name: string) {
      return targetOfName(name);
    },
    async access(name: string, index: number, mode: string) {
      requests.push(['access', name, index, mode]);
      present.set(name, true);
      return { id: 1, ok: true, outcome: 'ok', sigbus: null };
    },
  };
  return { helper: helper as unknown as HelperSession, requests };
}

function context(pool: Pool) {
  const { guest, writes } = fakeGuest(pool);
  const { helper, requests } = fakeHelper(pool);
  const ctx = { guest, helper, targets: new Map(), fillSeeds: new Map(), sigbus: [] } as unknown as CaseContext;
  return { ctx, writes, requests };
}

const target = (knobs: Extract<StepAction, { kind: 'target' }>['knobs']): Extract<StepAction, { kind: 'target' }> => ({ kind: 'target', name: 't0', targetKind: 'hugetlb', ...(knobs ? { knobs } : {}) });

describe('a hugetlb target step', () => {
  it('pool: 2 on an empty pool writes 2 and says so; shared asks the helper for a hugetlbfs mapping', async () => {
    const { ctx, writes, requests } = context({ nr: 0, free: 0, resv: 0 });
    const result = await runHelperStep(ctx, target({ pool: 2, shared: true }), 0);
    expect(writes).toEqual([2]);
    expect(requests).toEqual([['alloc', 't0', 'hugetlb', 1, undefined, 'shared']]);
    expect(result).toEqual({ ok: true, summary: 'prepared hugetlb page pfn 0x12200 at 0x7f0000000000 (shared); 2048kB hugetlb pool 0 → 2 pages (pool: 2)' });
    expect(targetOf(ctx, 't0').page.pfn).toBe(0x12200n);
  });

  it('without pool:, a pool the case made larger is left as it is, and the summary says so', async () => {
    const { ctx, writes, requests } = context({ nr: 8, free: 8, resv: 0 });
    const result = await runHelperStep(ctx, target(undefined), 0);
    expect(writes).toEqual([]);
    expect(requests).toEqual([['alloc', 't0', 'hugetlb', 1, undefined]]);
    expect(result.summary).toBe("prepared hugetlb page pfn 0x12200 at 0x7f0000000000; 2048kB hugetlb pool left at 8 pages, as the case set it (the harness's default is 4; pool: N sets it)");
  });

  it('fault: false reserves: no PFN, no target page, until an access faults it in', async () => {
    const { ctx, requests } = context({ nr: 2, free: 2, resv: 0 });
    const reserved = await runHelperStep(ctx, target({ pool: 2, fault: false }), 0);
    expect(requests).toEqual([['alloc', 't0', 'hugetlb', 1, undefined, 'nofault']]);
    expect(reserved.summary).toBe(
      'reserved hugetlb page (not faulted in) at 0x7f0000000000: no page and no PFN until an access, fill or verify step touches it; 2048kB hugetlb pool already 2 pages, as pool: 2 asks: left as it is',
    );
    expect(ctx.targets.size).toBe(0);
    expect(() => targetOf(ctx, 't0')).toThrow('target t0 is only reserved (fault: false): it has no page, so no PFN, until an access, fill or verify step faults it in');

    const touched = await runHelperStep(ctx, { kind: 'access', target: 't0', mode: 'write', index: null }, 1);
    expect(requests.at(-1)).toEqual(['access', 't0', 0, 'write']);
    expect(touched.summary).toBe('the write completed without a signal; faulted t0 in: pfn 0x12200, now $t0');
    expect(targetOf(ctx, 't0').page).toMatchObject({ kind: 'hugetlb', pfn: 0x12200n, owner: { name: 't0', index: 0 } });
    expect(ctx.reserved?.size).toBe(0);
  });

  it('a 1 GiB target on a guest without the pool fails, naming the cmdline to boot with', async () => {
    const { ctx, requests } = context({ nr: 0, free: 0, resv: 0 });
    await expect(runHelperStep(ctx, target({ size: '1G' }), 0)).rejects.toThrow(/no 1 GiB hugetlb pool .*guest: \{ cmdline: \[hugepagesz=1G, hugepages=N\] \}/);
    expect(requests).toEqual([]);
  });

  it('pool: N too small for the pages the target takes fails before the helper maps anything', async () => {
    const { ctx, requests } = context({ nr: 0, free: 0, resv: 0 });
    await expect(runHelperStep(ctx, target({ pool: 1, pages: 2 }), 0)).rejects.toThrow('2048kB hugetlb pool 0 → 1 page (pool: 1): the target needs 2 pages free in the 2048kB hugetlb pool; pool: 1 leaves 1 free (1 in all); raise pool:');
    expect(requests).toEqual([]);
  });
});
