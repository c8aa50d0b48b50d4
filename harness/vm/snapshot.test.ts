import { describe, expect, it } from 'vitest';
import { HarnessError } from '../util/errors.ts';
import { checkSnapshotPath, shellQuotePath } from './snapshot.ts';

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
