import { describe, expect, it } from 'vitest';
import { isPfn, normaliseHex, normalisePfn, pfnOfPhysAddr, pfnToBigInt, physAddrOfPfn } from './pfn.ts';

describe('pfn helpers', () => {
  it('normalise every spelling to lowercase 0x hex', () => {
    expect(normalisePfn('0x60ACC')).toBe('0x60acc');
    expect(normalisePfn('60acc')).toBe('0x60acc');
    expect(normalisePfn('0x0060acc')).toBe('0x60acc');
    expect(normalisePfn(0x60acc)).toBe('0x60acc');
    expect(normalisePfn(0x60accn)).toBe('0x60acc');
    expect(normalisePfn('0')).toBe('0x0');
  });

  it('stay exact beyond 2^53 and convert between pfns and physical addresses', () => {
    expect(normaliseHex('ffffffffffffffff')).toBe('0xffffffffffffffff');
    expect(pfnToBigInt('0xfffffffffffff')).toBe(0xfffffffffffffn);
    expect(physAddrOfPfn('0x62000')).toBe('0x62000000');
    expect(pfnOfPhysAddr('0x62001000')).toBe('0x62001');
    expect(pfnOfPhysAddr(0x120000000n)).toBe('0x120000');
  });

  it('reject what is not a number', () => {
    expect(() => normalisePfn('0xg1')).toThrow(RangeError);
    expect(() => normalisePfn('')).toThrow(RangeError);
    expect(() => normalisePfn(-1)).toThrow(RangeError);
    expect(() => normalisePfn(2 ** 60)).toThrow(RangeError);
    expect(isPfn('0x60acc')).toBe(true);
    expect(isPfn('0x060acc')).toBe(false);
    expect(isPfn('60acc')).toBe(false);
  });
});
