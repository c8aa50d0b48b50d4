import { describe, expect, it } from 'vitest';
import { buildsFromPackages, parsePlainAmd64Package, parseSearchOutput, parseShowOutput, preferredPackage } from './debian-archive.ts';

// Trimmed from real `apt-cache search --names-only '^linux-image-[0-9]'` output (bookworm).
const SEARCH = `linux-image-6.1.0-9-amd64 - Linux 6.1 for 64-bit PCs (signed)
linux-image-6.1.0-47-amd64 - Linux 6.1 for 64-bit PCs (signed)
linux-image-6.1.0-47-amd64-dbg - Debug symbols for linux-image-6.1.0-47-amd64
linux-image-6.1.0-47-amd64-unsigned - Linux 6.1 for 64-bit PCs
linux-image-6.1.0-47-cloud-amd64 - Linux 6.1 for x86-64 cloud (signed)
linux-image-6.1.0-47-rt-amd64-unsigned - Linux 6.1 for 64-bit PCs, PREEMPT_RT
linux-image-6.12.100+deb12-amd64 - Linux 6.12 for 64-bit PCs (signed)
linux-image-6.12.117+deb12-amd64 - Linux 6.12 for 64-bit PCs (signed)
linux-image-6.12.117+deb12-amd64-unsigned - Linux 6.12 for 64-bit PCs
`;

// Shape of real `apt-cache show` stanzas, fields trimmed; 6.1.0-47 appears in two suites.
const SHOW = `Package: linux-image-6.1.0-9-amd64
Source: linux-signed-amd64 (6.1.27+1)
Version: 6.1.27-1
Size: 68000000
SHA256: aa

Package: linux-image-6.1.0-47-amd64
Source: linux-signed-amd64 (6.1.170+3)
Version: 6.1.170-3
Description: Linux 6.1 for 64-bit PCs (signed)

Package: linux-image-6.1.0-47-amd64
Version: 6.1.170-2

Package: linux-image-6.1.0-47-amd64-unsigned
Source: linux
Version: 6.1.170-3
Description: Linux 6.1 for 64-bit PCs

Package: linux-image-6.12.100+deb12-amd64
Source: linux-signed-6.12-amd64 (6.12.100+1~deb12u1)
Version: 6.12.100-1~deb12u1
Built-Using: linux-6.12 (= 6.12.100-1~deb12u1)

Package: linux-image-6.12.117+deb12-amd64
Version: 6.12.117-1~deb12u1

Package: linux-image-6.12.117+deb12-amd64-unsigned
Source: linux-6.12
Version: 6.12.117-1~deb12u1
Size: 107177456
SHA256: 530631662c9ad84758eca2d7609cf40623309afd4bccbeb563f33e9c7f220bdf
`;

describe('parsePlainAmd64Package', () => {
  it('accepts the plain amd64 flavour, signed and unsigned', () => {
    expect(parsePlainAmd64Package('linux-image-6.1.0-56-amd64')).toEqual({ abi: '6.1.0-56', signed: true });
    expect(parsePlainAmd64Package('linux-image-6.12.117+deb12-amd64-unsigned')).toEqual({ abi: '6.12.117+deb12', signed: false });
  });
  it('skips cloud, rt, dbg and meta-packages', () => {
    for (const name of [
      'linux-image-6.1.0-56-cloud-amd64',
      'linux-image-6.1.0-56-rt-amd64-unsigned',
      'linux-image-6.1.0-56-amd64-dbg',
      'linux-image-6.12-amd64',
      'linux-image-amd64',
    ]) {
      expect(parsePlainAmd64Package(name)).toBeNull();
    }
  });
});

describe('archive parsing', () => {
  const builds = buildsFromPackages(parseSearchOutput(SEARCH), parseShowOutput(SHOW));

  it('groups packages into builds, oldest first by Debian version', () => {
    expect(builds.map((b) => b.abi)).toEqual(['6.1.0-9', '6.1.0-47', '6.12.100+deb12', '6.12.117+deb12']);
    expect(builds.map((b) => b.series)).toEqual(['6.1', '6.1', '6.12', '6.12']);
  });

  it('prefers the unsigned package and falls back to the signed one', () => {
    expect(preferredPackage(builds[1]!).package).toBe('linux-image-6.1.0-47-amd64-unsigned');
    expect(preferredPackage(builds[2]!).package).toBe('linux-image-6.12.100+deb12-amd64');
    expect(builds[2]!.unsigned).toBeNull();
  });

  it('keeps the highest version of a package listed twice and derives the upstream version', () => {
    const signed47 = builds[1]!.signed!;
    expect(signed47.debianVersion).toBe('6.1.170-3');
    expect(signed47.upstreamVersion).toBe('6.1.170');
    const unsigned117 = builds[3]!.unsigned!;
    expect(unsigned117).toMatchObject({
      debianVersion: '6.12.117-1~deb12u1',
      upstreamVersion: '6.12.117',
      sourcePackage: 'linux-6.12',
      sizeBytes: 107177456,
    });
  });
});
