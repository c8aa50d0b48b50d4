import { describe, expect, it } from 'vitest';
import { HarnessError } from '../util/errors.ts';
import { parseLddOutput } from './shared-libraries.ts';
import { parseToolsList } from './tools-part.ts';

// `ldd /usr/sbin/dropbear` on Debian 12 (recorded on the build host).
const DROPBEAR_LDD = `	linux-vdso.so.1 (0x00007f35fb36a000)
	libtomcrypt.so.1 => /lib/x86_64-linux-gnu/libtomcrypt.so.1 (0x00007f35fb249000)
	libtommath.so.1 => /lib/x86_64-linux-gnu/libtommath.so.1 (0x00007f35fb22b000)
	libz.so.1 => /lib/x86_64-linux-gnu/libz.so.1 (0x00007f35fb20c000)
	libcrypt.so.1 => /lib/x86_64-linux-gnu/libcrypt.so.1 (0x00007f35fb1d0000)
	libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f35fafee000)
	libgmp.so.10 => /lib/x86_64-linux-gnu/libgmp.so.10 (0x00007f35faf6b000)
	/lib64/ld-linux-x86-64.so.2 (0x00007f35fb36c000)
`;

describe('parseLddOutput', () => {
  it('returns every library path and the loader, not the vDSO', () => {
    expect(parseLddOutput('/usr/sbin/dropbear', DROPBEAR_LDD)).toEqual([
      '/lib/x86_64-linux-gnu/libtomcrypt.so.1',
      '/lib/x86_64-linux-gnu/libtommath.so.1',
      '/lib/x86_64-linux-gnu/libz.so.1',
      '/lib/x86_64-linux-gnu/libcrypt.so.1',
      '/lib/x86_64-linux-gnu/libc.so.6',
      '/lib/x86_64-linux-gnu/libgmp.so.10',
      '/lib64/ld-linux-x86-64.so.2',
    ]);
  });

  it('returns nothing for a static binary', () => {
    expect(parseLddOutput('/bin/busybox', '\tnot a dynamic executable\n')).toEqual([]);
  });

  it('fails with a prerequisite error for a missing library', () => {
    expect(() => parseLddOutput('/usr/bin/ndctl', '\tlibndctl.so.6 => not found\n')).toThrow(HarnessError);
  });
});

describe('parseToolsList', () => {
  it('keeps absolute paths, drops comments and blank lines', () => {
    expect(parseToolsList('# c\n/usr/sbin/dropbear\n\n  /usr/bin/lsmem  # util-linux\n')).toEqual(['/usr/sbin/dropbear', '/usr/bin/lsmem']);
  });

  it('refuses relative paths', () => {
    expect(() => parseToolsList('dropbear\n')).toThrow(/not an absolute path/);
  });
});
