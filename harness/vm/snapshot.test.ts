import { describe, expect, it } from 'vitest';
import { HarnessError } from '../util/errors.ts';
import { checkSnapshotPath, identityMismatch, shellQuotePath } from './snapshot.ts';

describe('snapshot paths', () => {
  it('accepts plain absolute and relative paths', () => {
    expect(checkSnapshotPath('/tmp/memharness-test-Ab1/snap/guest.migration')).toBe('/tmp/memharness-test-Ab1/snap/guest.migration');
    expect(checkSnapshotPath('snap.migration')).toBe(`${process.cwd()}/snap.migration`);
    expect(shellQuotePath('/tmp/a+b@c.mig')).toBe(`'/tmp/a+b@c.mig'`);
  });

  it.each(["/tmp/it's", '/tmp/a b', '/tmp/$(reboot)', '/tmp/a;b', '/tmp/a`b`', '/tmp/a\nb', '/tmp/ä', '/tmp/a"b', '/tmp/*'])(
    'refuses %j: it would reach /bin/sh',
    (file) => {
      expect(() => checkSnapshotPath(file)).toThrow(HarnessError);
    },
  );
});

describe('a restored guest is its template', () => {
  const template = { nonce: '6d656d6861726e657373', hardwareCorruptedKiB: 0 };
  const now = 1_800_000_000;
  it('holds when the nonce, the clock and HardwareCorrupted are the template\'s', () => {
    expect(identityMismatch(template, ['mh-identity 6d656d6861726e657373 1800000002 0'], now)).toBeNull();
  });
  it('names what differs: another nonce, a clock not set, poisoned pages, no answer', () => {
    expect(identityMismatch(template, ['mh-identity 00ff 1800000000 0'], now)).toMatch(/holds nonce 00ff, its template 6d65.*not the saved guest/);
    expect(identityMismatch(template, ['mh-identity none 1800000000 0'], now)).toMatch(/holds nonce none/);
    expect(identityMismatch(template, ['mh-identity 6d656d6861726e657373 1700000000 0'], now)).toMatch(/clock says 1700000000/);
    expect(identityMismatch(template, ['mh-identity 6d656d6861726e657373 1800000000 4'], now)).toMatch(/HardwareCorrupted 4 kB, its template 0 kB/);
    expect(identityMismatch(template, ['garbage'], now)).toMatch(/did not answer the identity probe/);
  });
});
