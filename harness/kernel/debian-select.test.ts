import { describe, expect, it } from 'vitest';
import { HarnessError } from '../util/errors.ts';
import type { DebianBuild, DebianPackageInfo } from './debian-archive.ts';
import { selectDebianPackage } from './debian-select.ts';
import { parseKernelRef, type DebianKernelRef } from './kernel-ref.ts';

function pkg(abi: string, signed: boolean, debianVersion: string): DebianPackageInfo {
  return {
    package: `linux-image-${abi}-amd64${signed ? '' : '-unsigned'}`,
    abi,
    signed,
    debianVersion,
    upstreamVersion: debianVersion.replace(/-[^-]*$/, ''),
    sourcePackage: null,
    sha256: null,
    sizeBytes: null,
  };
}

function build(abi: string, debianVersion: string, flavours: 'both' | 'signed' = 'both'): DebianBuild {
  return {
    abi,
    series: abi.startsWith('6.12') ? '6.12' : '6.1',
    signed: pkg(abi, true, debianVersion),
    unsigned: flavours === 'both' ? pkg(abi, false, debianVersion) : null,
  };
}

// The archive as measured (subset), deliberately out of order.
const BUILDS: DebianBuild[] = [
  build('6.12.117+deb12', '6.12.117-1~deb12u1'),
  build('6.1.0-9', '6.1.27-1', 'signed'),
  build('6.1.0-56', '6.1.192-2'),
  build('6.1.0-55', '6.1.192-1'),
  build('6.1.0-47', '6.1.170-3'),
  build('6.12.100+deb12', '6.12.100-1~deb12u1', 'signed'),
  build('6.12.101+deb12', '6.12.101-1~deb12u1', 'signed'),
  build('6.12.115+deb12', '6.12.115-2~deb12u1'),
];

const select = (ref: string): DebianPackageInfo => selectDebianPackage(parseKernelRef(ref) as DebianKernelRef, BUILDS);

function selectError(ref: string): HarnessError {
  try {
    select(ref);
  } catch (error) {
    expect(error).toBeInstanceOf(HarnessError);
    return error as HarnessError;
  }
  throw new Error(`${ref} resolved`);
}

describe('selectDebianPackage', () => {
  it('latest-X is the newest build of the series, by Debian version (6.1.0-9 < 6.1.0-56)', () => {
    expect(select('latest-6.1').package).toBe('linux-image-6.1.0-56-amd64-unsigned');
    expect(select('latest-6.12').package).toBe('linux-image-6.12.117+deb12-amd64-unsigned');
  });

  it('an upstream version names the +debNN ABI, preferring the unsigned package', () => {
    expect(select('6.12.117').package).toBe('linux-image-6.12.117+deb12-amd64-unsigned');
  });

  it('falls back to the signed package when only that exists (6.12.100/101)', () => {
    expect(select('6.12.100').package).toBe('linux-image-6.12.100+deb12-amd64');
    expect(select('6.12.101+deb12').package).toBe('linux-image-6.12.101+deb12-amd64');
  });

  it('finds a 6.1 build by its upstream version, the newest when several share it', () => {
    expect(select('6.1.192').package).toBe('linux-image-6.1.0-56-amd64-unsigned');
    expect(select('6.1.170').abi).toBe('6.1.0-47');
  });

  it('an ABI or a release string picks that build', () => {
    expect(select('6.1.0-56').package).toBe('linux-image-6.1.0-56-amd64-unsigned');
    expect(select('6.1.0-56-amd64').package).toBe('linux-image-6.1.0-56-amd64-unsigned');
  });

  it('a full package name is used exactly, signed or not', () => {
    expect(select('linux-image-6.1.0-56-amd64').package).toBe('linux-image-6.1.0-56-amd64');
    expect(select('linux-image-6.1.0-56-amd64-unsigned').package).toBe('linux-image-6.1.0-56-amd64-unsigned');
  });

  it('a missing version names the range and the nearest builds', () => {
    const error = selectError('6.12.999');
    expect(error.kind).toBe('kernel');
    expect(error.message).toBe(
      'no Debian build 6.12.999; the archive offers 6.12.100+deb12 … 6.12.117+deb12 (4 builds; nearest: 6.12.117+deb12)',
    );
    const between = selectError('6.12.110');
    expect(between.message).toMatch(/nearest: 6\.12\.101\+deb12, 6\.12\.115\+deb12\)/);
    const abi = selectError('6.1.0-50');
    expect(abi.message).toBe('no Debian build 6.1.0-50; the archive offers 6.1.0-9 … 6.1.0-56 (4 builds; nearest: 6.1.0-47, 6.1.0-55)');
    expect(abi.details.hint).toMatch(/latest-6\.1/);
  });

  it('an unsigned package that only exists signed says which one exists', () => {
    const error = selectError('linux-image-6.12.100+deb12-amd64-unsigned');
    expect(error.message).toMatch(/no package linux-image-6\.12\.100\+deb12-amd64-unsigned/);
    expect(error.details.hint).toMatch(/linux-image-6\.12\.100\+deb12-amd64$/);
  });

  it('a series the archive lacks lists the series it has', () => {
    expect(selectError('latest-6.6').message).toMatch(/no 6\.6 kernels, only the series 6\.1, 6\.12/);
    expect(selectError('5.10.0-30').message).toMatch(/only the series 6\.1, 6\.12/);
  });
});
