import { describe, expect, it } from 'vitest';
import { formatKernelVersion, kernelVersionOf, parseKernelVersion } from './kernel-version.ts';
import { parseVersionRange, versionInRange, type VersionRange } from './version-range.ts';

function range(text: string): VersionRange {
  const parsed = parseVersionRange(text);
  if ('error' in parsed) throw new Error(parsed.error);
  return parsed.range;
}

describe('kernelVersionOf', () => {
  it('takes the upstream version of a Debian ABI release from the package, not the .0 of its name', () => {
    expect(kernelVersionOf('6.1.0-56-amd64', '6.1.192')).toEqual({ major: 6, minor: 1, patch: 192 });
    expect(kernelVersionOf('6.1.0-56-amd64')).toEqual({ major: 6, minor: 1, patch: null });
    expect(kernelVersionOf('6.1.0-56-cloud-amd64')).toEqual({ major: 6, minor: 1, patch: null });
    expect(kernelVersionOf('6.1.0-0.deb11.13-amd64')).toEqual({ major: 6, minor: 1, patch: null });
  });

  it('reads the upstream version straight from newer Debian and vanilla releases', () => {
    expect(kernelVersionOf('6.12.117+deb12-amd64')).toEqual({ major: 6, minor: 12, patch: 117 });
    expect(kernelVersionOf('6.12.117+deb12-amd64', '6.12.117')).toEqual({ major: 6, minor: 12, patch: 117 });
    expect(kernelVersionOf('6.13.0-rc4')).toEqual({ major: 6, minor: 13, patch: 0 });
    expect(kernelVersionOf('6.1.0')).toEqual({ major: 6, minor: 1, patch: 0 });
  });

  it('ignores an upstream version of another series', () => {
    expect(kernelVersionOf('6.12.117+deb12-amd64', '6.1.192')).toEqual({ major: 6, minor: 12, patch: 117 });
  });

  it('formats an unknown patch level visibly', () => {
    expect(formatKernelVersion(kernelVersionOf('6.1.0-56-amd64')!)).toBe('6.1.?');
    expect(parseKernelVersion('not a kernel')).toBeNull();
  });
});

describe('version ranges', () => {
  const v61 = kernelVersionOf('6.1.0-56-amd64', '6.1.192')!;
  const v612 = kernelVersionOf('6.12.117+deb12-amd64')!;
  const v61unknown = kernelVersionOf('6.1.0-56-amd64')!;

  it('compare against series bounds: <6.12 is before the 6.12 series, <=6.12 includes all of it', () => {
    expect([versionInRange(v61, range('>=6.12')), versionInRange(v612, range('>=6.12'))]).toEqual([false, true]);
    expect([versionInRange(v61, range('<6.12')), versionInRange(v612, range('<6.12'))]).toEqual([true, false]);
    expect(versionInRange(v612, range('<=6.12'))).toBe(true);
    expect(versionInRange(v612, range('>6.12'))).toBe(false);
    expect([versionInRange(v61, range('6.1')), versionInRange(v612, range('6.1'))]).toEqual([true, false]);
    expect(versionInRange(v612, range('!=6.1'))).toBe(true);
  });

  it('compare exact bounds by patch level', () => {
    expect(versionInRange(v61, range('>=6.1.100'))).toBe(true);
    expect(versionInRange(v61, range('<6.1.192'))).toBe(false);
    expect(versionInRange(v61, range('=6.1.192'))).toBe(true);
    expect(versionInRange(v612, range('>=6.1.100'))).toBe(true);
  });

  it('combine with spaces (and) and || (or)', () => {
    expect(versionInRange(v61, range('>=6.1 <6.12'))).toBe(true);
    expect(versionInRange(v612, range('>=6.1 <6.12'))).toBe(false);
    expect(versionInRange(v612, range('<6.2 || >=6.12.100'))).toBe(true);
    expect(versionInRange(v61, range('>= 6.1'))).toBe(true);
  });

  it('say "unknown" only when the missing patch level matters', () => {
    expect(versionInRange(v61unknown, range('>=6.1.100'))).toBe('unknown');
    expect(versionInRange(v61unknown, range('<6.12'))).toBe(true);
    expect(versionInRange(v61unknown, range('>=6.2.5'))).toBe(false);
    expect(versionInRange(v61unknown, range('>=6.1.100 || 6.1'))).toBe(true);
  });

  it('reject what is not a range', () => {
    expect(parseVersionRange('>=six')).toEqual({ error: "'>=six' is not a version bound; expected e.g. >=6.12, <6.12, 6.1 (a series) or =6.1.192" });
    expect(parseVersionRange('>=6.1 ||')).toEqual({ error: "empty alternative in version range '>=6.1 ||'" });
  });
});
