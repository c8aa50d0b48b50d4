import { describe, expect, it } from 'vitest';
import { printkFormatToRegex } from './printk-format.ts';

describe('printkFormatToRegex', () => {
  it('turns conversions into groups and anchors the whole text', () => {
    const regex = printkFormatToRegex('Memory failure: %#lx: recovery action for %s: %s\n');
    expect(regex.exec('Memory failure: 0x60000: recovery action for free buddy page: Recovered')?.slice(1)).toEqual(['0x60000', 'free buddy page', 'Recovered']);
    expect(regex.test('x Memory failure: 0x60000: recovery action for free buddy page: Recovered')).toBe(false);
  });

  it('handles widths, length modifiers, %pS-style pointers, cpu lists and literal specials', () => {
    expect(printkFormatToRegex('memory offlining [mem %#010llx-%#010llx] failed due to %s').exec('memory offlining [mem 0x60000000-0x67ffffff] failed due to signal backoff')?.slice(1)).toEqual([
      '0x60000000',
      '0x67ffffff',
      'signal backoff',
    ]);
    expect(printkFormatToRegex('mce: [Hardware Error]: CPU %d: Machine Check%s: %Lx Bank %d: %016Lx').exec('mce: [Hardware Error]: CPU 0: Machine Check Exception: 5 Bank 9: bd000000000000c0')?.slice(1)).toEqual([
      '0',
      ' Exception',
      '5',
      '9',
      'bd000000000000c0',
    ]);
    expect(printkFormatToRegex('mce: CPUs not responding to MCE broadcast (may include false positives): %*pbl').exec('mce: CPUs not responding to MCE broadcast (may include false positives): 1,3-5')?.[1]).toBe('1,3-5');
    expect(printkFormatToRegex('100%% done: %d').exec('100% done: -3')?.[1]).toBe('-3');
  });

  it('ignores the trailing blanks pr_cont pieces leave', () => {
    expect(printkFormatToRegex('mce: [Hardware Error]: TSC %llx ').test('mce: [Hardware Error]: TSC 25e14c569f ')).toBe(true);
  });
});
