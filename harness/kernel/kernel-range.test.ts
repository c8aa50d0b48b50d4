import { describe, expect, it } from 'vitest';
import { HarnessError } from '../util/errors.ts';
import type { DebianBuild, DebianPackageInfo } from './debian-archive.ts';
import { buildsInRange, expandKernelList, parseKernelList } from './kernel-range.ts';

function pkg(abi: string, debianVersion: string): DebianPackageInfo {
  return { package: `linux-image-${abi}-amd64-unsigned`, abi, signed: false, debianVersion, upstreamVersion: debianVersion.replace(/-[^-]*$/, ''), sourcePackage: null, sha256: null, sizeBytes: null };
}
const build = (abi: string, debianVersion: string): DebianBuild => ({ abi, series: abi.startsWith('6.12') ? '6.12' : '6.1', signed: null, unsigned: pkg(abi, debianVersion) });

// Versions as `apt-cache show` gave them on this machine (subset, out of order on purpose).
const BUILDS: DebianBuild[] = [
  build('6.1.0-56', '6.1.192-2'),
  build('6.12.117+deb12', '6.12.117-1~deb12u1'),
  build('6.1.0-47', '6.1.170-3'),
  build('6.1.0-49', '6.1.174-1'),
  build('6.1.0-48', '6.1.172-1'),
  build('6.1.0-55', '6.1.192-1'),
];

describe('parseKernelList', () => {
  it('splits commas and repeated values, and reads A..B as a range', () => {
    expect(parseKernelList(['6.1.0-47..6.1.0-49,latest-6.12', '6.1.0-56'])).toEqual([
      { kind: 'range', from: '6.1.0-47', to: '6.1.0-49', text: '6.1.0-47..6.1.0-49' },
      { kind: 'single', ref: 'latest-6.12' },
      { kind: 'single', ref: '6.1.0-56' },
    ]);
  });

  it('keeps a path with .. as a path, and refuses empty items and path range ends', () => {
    expect(parseKernelList(['../linux/arch/x86/boot/bzImage'])).toEqual([{ kind: 'single', ref: '../linux/arch/x86/boot/bzImage' }]);
    expect(() => parseKernelList(['6.1.0-47,,latest-6.12'])).toThrow(HarnessError);
    expect(() => parseKernelList(['6.1.0-47..bzImage'])).toThrow(/'bzImage' is not a Debian build/);
  });
});

describe('buildsInRange', () => {
  it('is every build between the ends in Debian version order, both included, either way round', () => {
    expect(buildsInRange('6.1.0-47', '6.1.0-55', BUILDS).map((p) => p.abi)).toEqual(['6.1.0-47', '6.1.0-48', '6.1.0-49', '6.1.0-55']);
    expect(buildsInRange('6.1.0-55', '6.1.0-47', BUILDS).map((p) => p.abi)).toEqual(['6.1.0-47', '6.1.0-48', '6.1.0-49', '6.1.0-55']);
    expect(buildsInRange('6.1.0-56', 'latest-6.1', BUILDS).map((p) => p.abi)).toEqual(['6.1.0-56']);
  });

  it('names the end the archive does not offer', () => {
    expect(() => buildsInRange('6.1.0-40', '6.1.0-55', BUILDS)).toThrow(/6\.1\.0-40/);
  });
});

describe('expandKernelList', () => {
  it('expands ranges to ABIs, keeps order, drops duplicates, and asks the archive only for ranges', async () => {
    let asked = 0;
    const builds = async <T,>(pick: (builds: DebianBuild[]) => T): Promise<T> => {
      asked += 1;
      return pick([...BUILDS]);
    };
    expect(await expandKernelList(parseKernelList(['latest-6.12,6.1.0-47']), builds)).toEqual(['latest-6.12', '6.1.0-47']);
    expect(asked).toBe(0);
    expect(await expandKernelList(parseKernelList(['6.1.0-48..6.1.0-49', '6.1.0-48,latest-6.12']), builds)).toEqual(['6.1.0-48', '6.1.0-49', 'latest-6.12']);
    expect(asked).toBe(1);
  });
});
