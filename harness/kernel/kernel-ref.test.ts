import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HarnessError } from '../util/errors.ts';
import { DEFAULT_KERNEL_REF, parseKernelRef, seriesOf } from './kernel-ref.ts';

function usageError(ref: string): HarnessError {
  try {
    parseKernelRef(ref);
  } catch (error) {
    expect(error).toBeInstanceOf(HarnessError);
    expect((error as HarnessError).kind).toBe('usage');
    return error as HarnessError;
  }
  throw new Error(`${ref} was accepted`);
}

describe('parseKernelRef', () => {
  it('defaults to latest-6.12', () => {
    expect(DEFAULT_KERNEL_REF).toBe('latest-6.12');
    expect(parseKernelRef(undefined)).toEqual({ kind: 'debian-latest', series: '6.12' });
  });

  it.each([
    ['latest-6.1', { kind: 'debian-latest', series: '6.1' }],
    ['latest-6.12', { kind: 'debian-latest', series: '6.12' }],
    ['6.1.0-56', { kind: 'debian-abi', abi: '6.1.0-56' }],
    ['6.1.0-9', { kind: 'debian-abi', abi: '6.1.0-9' }],
    ['6.12.117+deb12', { kind: 'debian-abi', abi: '6.12.117+deb12' }],
    ['6.1.0-0.deb11.21', { kind: 'debian-abi', abi: '6.1.0-0.deb11.21' }],
    ['6.12.117', { kind: 'debian-upstream', version: '6.12.117' }],
    ['6.1.192', { kind: 'debian-upstream', version: '6.1.192' }],
    // release strings as uname -r prints them
    ['6.1.0-56-amd64', { kind: 'debian-abi', abi: '6.1.0-56' }],
    ['6.12.117+deb12-amd64', { kind: 'debian-abi', abi: '6.12.117+deb12' }],
    [
      'linux-image-6.1.0-56-amd64',
      { kind: 'debian-package', package: 'linux-image-6.1.0-56-amd64', abi: '6.1.0-56', signed: true },
    ],
    [
      'linux-image-6.1.0-56-amd64-unsigned',
      { kind: 'debian-package', package: 'linux-image-6.1.0-56-amd64-unsigned', abi: '6.1.0-56', signed: false },
    ],
    [
      'linux-image-6.12.117+deb12-amd64-unsigned',
      { kind: 'debian-package', package: 'linux-image-6.12.117+deb12-amd64-unsigned', abi: '6.12.117+deb12', signed: false },
    ],
    [' 6.1.0-56 ', { kind: 'debian-abi', abi: '6.1.0-56' }],
  ])('%s', (ref, expected) => {
    expect(parseKernelRef(ref)).toEqual(expected);
  });

  it('takes anything with a slash, and unrecognised names, as paths', () => {
    expect(parseKernelRef('/boot/vmlinuz-6.1.0-56-amd64')).toEqual({ kind: 'path', path: '/boot/vmlinuz-6.1.0-56-amd64' });
    expect(parseKernelRef('./6.12.117')).toEqual({ kind: 'path', path: './6.12.117' });
    expect(parseKernelRef('bzImage')).toEqual({ kind: 'path', path: 'bzImage' });
    expect(parseKernelRef('~/linux')).toEqual({ kind: 'path', path: path.join(os.homedir(), 'linux') });
    expect(parseKernelRef('.')).toEqual({ kind: 'path', path: '.' });
  });

  it('refuses the cloud flavour and says why', () => {
    for (const ref of ['linux-image-6.1.0-56-cloud-amd64', 'linux-image-6.1.0-56-cloud-amd64-unsigned', '6.1.0-56-cloud-amd64']) {
      expect(usageError(ref).message).toMatch(/X86_MCE and MEMORY_FAILURE/);
    }
  });

  it('refuses rt, dbg, other architectures and meta-packages', () => {
    expect(usageError('linux-image-6.12.117+deb12-rt-amd64').message).toMatch(/PREEMPT_RT/);
    expect(usageError('linux-image-6.1.0-56-amd64-dbg').message).toMatch(/debug symbols/);
    expect(usageError('linux-image-6.1.0-56-arm64').message).toMatch(/only the amd64 flavour/);
    expect(usageError('linux-image-amd64').message).toMatch(/meta-packages/);
    expect(usageError('linux-image-6.12-amd64').message).toMatch(/meta-packages/);
  });

  it('asks for a series when given a bare one', () => {
    expect(usageError('6.12').details.hint).toBe('did you mean latest-6.12?');
    expect(usageError('latest').details.hint).toMatch(/latest-6.1 or latest-6.12/);
    expect(usageError('  ').message).toMatch(/empty/);
  });
});

describe('seriesOf', () => {
  it.each([
    ['6.1.0-56', '6.1'],
    ['6.12.117+deb12', '6.12'],
    ['6.12.117', '6.12'],
  ])('%s → %s', (version, series) => {
    expect(seriesOf(version)).toBe(series);
  });
});
