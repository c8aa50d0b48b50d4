import { describe, expect, it } from 'vitest';
import { decidePool, DEFAULT_POOL, missingPoolProblem, parsePoolState, poolDirectory, poolProblem, poolReadCommand, type PoolRequest, type PoolState } from './hugetlb-pool.ts';

// The pool decision alone: given the pool as sysfs shows it and what the target step asks
// for, what the harness writes (if anything) and what the step summary says.

const pool = (nr: number, free = nr, reserved: number | null = 0, surplus = 0): PoolState => ({ nr, free, surplus, reserved });
const ask = (request: Partial<PoolRequest> = {}): PoolRequest => ({ size: '2M', pool: null, node: null, need: 1, ...request });

describe('decidePool with pool: N', () => {
  it('writes N when the pool is another size, saying from what to what', () => {
    expect(decidePool(pool(0), ask({ pool: 2 }))).toEqual({ write: 2, summary: '2048kB hugetlb pool 0 → 2 pages (pool: 2)' });
    // Shrinking is what the case asked for, too.
    expect(decidePool(pool(8, 8), ask({ pool: 2 }))).toEqual({ write: 2, summary: '2048kB hugetlb pool 8 → 2 pages (pool: 2)' });
  });

  it('writes nothing when the pool is N already (a case that set it itself), and says so', () => {
    expect(decidePool(pool(2), ask({ pool: 2 }))).toEqual({ write: null, summary: '2048kB hugetlb pool already 2 pages, as pool: 2 asks: left as it is' });
  });

  it("names a node's pool and the 1 GiB size", () => {
    expect(decidePool(pool(1, 1, null), ask({ pool: 3, node: 1 })).summary).toBe("node 1's 2048kB hugetlb pool 1 → 3 pages (pool: 3)");
    expect(decidePool(pool(0), ask({ pool: 1, size: '1G' })).summary).toBe('1048576kB hugetlb pool 0 → 1 page (pool: 1)');
  });
});

describe('decidePool without pool:', () => {
  it('grows an empty or smaller pool to the default (the harness as it always was)', () => {
    expect(DEFAULT_POOL).toEqual({ '2M': 4, '1G': 1 });
    expect(decidePool(pool(0), ask())).toEqual({ write: 4, summary: "2048kB hugetlb pool 0 → 4 pages (the harness's default; pool: N sets it)" });
    expect(decidePool(pool(2), ask()).write).toBe(4);
  });

  it('never shrinks a pool the case made larger, and says it left it', () => {
    expect(decidePool(pool(8), ask())).toEqual({ write: null, summary: "2048kB hugetlb pool left at 8 pages, as the case set it (the harness's default is 4; pool: N sets it)" });
    expect(decidePool(pool(4), ask())).toEqual({ write: null, summary: "2048kB hugetlb pool already 4 pages, the harness's default: left as it is" });
  });

  it('grows further when the target needs more free, unreserved pages than the pool has', () => {
    // Four pages, two in use by earlier targets, one of the two free ones reserved: one to take.
    expect(decidePool(pool(4, 2, 1), ask({ need: 2 }))).toEqual({
      write: 5,
      summary: "2048kB hugetlb pool 4 → 5 pages (the harness's default 4, grown for the 2 pages the target takes (1 free); pool: N sets it)",
    });
    // A larger pool the case set, with enough free: left alone.
    expect(decidePool(pool(8, 5), ask({ need: 4 })).write).toBeNull();
  });

  it('a 1 GiB pool booted with a page is left as it is', () => {
    expect(decidePool(pool(1), ask({ size: '1G' }))).toEqual({ write: null, summary: "1048576kB hugetlb pool already 1 page, the harness's default: left as it is" });
    expect(decidePool(pool(0), ask({ size: '1G' })).write).toBe(1);
  });
});

describe('poolProblem: the pool read back after the decision', () => {
  it('is fine when the kernel made it as asked and the target has its free pages', () => {
    const request = ask({ pool: 2 });
    expect(poolProblem(request, decidePool(pool(0), request), pool(2))).toBeNull();
  });

  it('fails when the kernel could not make the pool as big, with the 1 GiB boot hint for that size', () => {
    const request = ask({ pool: 2, size: '1G' });
    const problem = poolProblem(request, decidePool(pool(0), request), pool(0));
    expect(problem).toMatch(/^could not make the 1048576kB hugetlb pool 2 pages: the kernel has 0 .*hugepagesz=1G, hugepages=N.*\+pdpe1gb/);
    expect(poolProblem(ask({ pool: 4 }), { write: 4, summary: '' }, pool(3))).toMatch(/could not make the 2048kB hugetlb pool 4 pages: the kernel has 3 \(not enough free contiguous memory\?\)$/);
  });

  it('fails when pool: leaves too few free pages for the target, saying to raise it', () => {
    const request = ask({ pool: 2, need: 1 });
    expect(poolProblem(request, decidePool(pool(2, 1, 1), request), pool(2, 1, 1))).toBe('the target needs 1 page free in the 2048kB hugetlb pool; pool: 2 leaves 1 free, 1 of them reserved (2 in all); raise pool:');
  });

  it('a missing pool names its directory, and for 1 GiB the cmdline to boot with', () => {
    expect(missingPoolProblem({ size: '1G', node: null })).toMatch(/^the guest has no 1 GiB hugetlb pool \(\/sys\/kernel\/mm\/hugepages\/hugepages-1048576kB does not exist\): .*guest: \{ cmdline: \[hugepagesz=1G, hugepages=N\] \}/);
    expect(missingPoolProblem({ size: '2M', node: 3 })).toMatch(/node 3's 2048kB hugetlb pool \(\/sys\/devices\/system\/node\/node3\/hugepages\/hugepages-2048kB does not exist/);
  });
});

describe('reading a pool', () => {
  it('reads nr, free, surplus and (for the whole pool) resv from sysfs, or says it is missing', () => {
    expect(poolDirectory('2M', null)).toBe('/sys/kernel/mm/hugepages/hugepages-2048kB');
    expect(poolDirectory('1G', 1)).toBe('/sys/devices/system/node/node1/hugepages/hugepages-1048576kB');
    expect(poolReadCommand('2M', null)).toBe(
      'if [ -d /sys/kernel/mm/hugepages/hugepages-2048kB ]; then cat /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages /sys/kernel/mm/hugepages/hugepages-2048kB/surplus_hugepages /sys/kernel/mm/hugepages/hugepages-2048kB/resv_hugepages; else echo missing; fi',
    );
    expect(poolReadCommand('2M', 0)).not.toContain('resv');
    expect(parsePoolState('4\n3\n0\n1\n', null)).toEqual({ nr: 4, free: 3, surplus: 0, reserved: 1 });
    expect(parsePoolState('2\n2\n0\n', 1)).toEqual({ nr: 2, free: 2, surplus: 0, reserved: null });
    expect(parsePoolState('missing\n', null)).toBeNull();
    expect(parsePoolState('4\n', null)).toMatch(/^unreadable hugetlb pool state/);
  });
});
