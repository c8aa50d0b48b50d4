import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { compareDebianVersions, upstreamOfDebianVersion } from './debian-version.ts';

const sign = (n: number): number => (n === 0 ? 0 : Math.sign(n));

// [a, b, expected sign of compare(a, b)]
const CASES: Array<[string, string, number]> = [
  ['6.1.0-9', '6.1.0-47', -1],
  ['6.1.0-47', '6.1.0-56', -1],
  ['6.1.0-56', '6.1.0-56', 0],
  ['6.12.100+deb12', '6.12.117+deb12', -1],
  ['6.12.99+deb12', '6.12.100+deb12', -1],
  ['6.1.192-1', '6.1.192-2', -1],
  ['6.12.117-1~deb12u1', '6.12.117-1', -1],
  ['6.12.115-2~deb12u1', '6.12.117-1~deb12u1', -1],
  ['1.0~rc1', '1.0', -1],
  ['1.0', '1.0+b1', -1],
  ['1:1.0', '2.0', 1],
  ['1.0-1', '1.0', 1],
  ['1.0a', '1.0', 1],
  ['1.0a', '1.0+', -1],
  ['1.01', '1.1', 0],
  ['6.1.0', '6.12.0', -1],
];

describe('compareDebianVersions', () => {
  it.each(CASES)('%s vs %s', (a, b, expected) => {
    expect(sign(compareDebianVersions(a, b))).toBe(expected);
    expect(sign(compareDebianVersions(b, a))).toBe(expected === 0 ? 0 : -expected);
  });

  it('agrees with dpkg --compare-versions where dpkg is installed', () => {
    const dpkgLess = (a: string, b: string): boolean | null => {
      try {
        execFileSync('dpkg', ['--compare-versions', a, 'lt', b], { stdio: 'ignore' });
        return true;
      } catch (error) {
        const status = (error as { status?: number; code?: string }).status;
        if ((error as { code?: string }).code === 'ENOENT') return null;
        return status === 1 ? false : null;
      }
    };
    for (const [a, b] of CASES) {
      const less = dpkgLess(a, b);
      if (less === null) return; // no dpkg on this host
      expect(compareDebianVersions(a, b) < 0).toBe(less);
    }
  });

  it('sorts kernel ABIs numerically, not as strings', () => {
    const abis = ['6.1.0-56', '6.1.0-9', '6.1.0-47', '6.1.0-10'];
    expect([...abis].sort(compareDebianVersions)).toEqual(['6.1.0-9', '6.1.0-10', '6.1.0-47', '6.1.0-56']);
  });
});

describe('upstreamOfDebianVersion', () => {
  it.each([
    ['6.1.192-2', '6.1.192'],
    ['6.12.117-1~deb12u1', '6.12.117'],
    ['1:2.3-4', '2.3'],
    ['5.10', '5.10'],
  ])('%s → %s', (version, upstream) => {
    expect(upstreamOfDebianVersion(version)).toBe(upstream);
  });
});
