import { describe, expect, it } from 'vitest';
import { FIXTURE_KERNELS, loadFixture } from '../fixtures/load-fixture.ts';
import { decodeTaint, formatTaintLetters, TAINT_FLAGS, taintFromLine } from './taint.ts';

describe('taint', () => {
  it('knows the 19 TAINT_* flags in the kernel\'s bit order', () => {
    expect(TAINT_FLAGS.map((flag) => flag.letter).join('')).toBe('PFSRMBUDAWCIOELKXTN');
    expect(TAINT_FLAGS.map((flag) => flag.bit)).toEqual([...Array(19).keys()]);
  });

  it.each(FIXTURE_KERNELS)('%s: decodes /proc/sys/kernel/tainted as read after a real machine check', (kernel) => {
    const tainted = loadFixture(kernel, 'unpoison-after-mce').meta.facts['tainted'];
    expect(decodeTaint(String(tainted))).toEqual({ value: 16, flags: ['MACHINE_CHECK'], letters: 'G   M', unknownBits: [] });
    expect(decodeTaint(String(loadFixture(kernel, 'hwpoison-free-page').meta.facts['tainted']))).toEqual({ value: 0, flags: [], letters: 'G', unknownBits: [] });
  });

  it('decodes several flags and keeps bits it does not know', () => {
    expect(decodeTaint(1 + 16 + 512 + 4096)).toMatchObject({ flags: ['PROPRIETARY_MODULE', 'MACHINE_CHECK', 'WARN', 'OOT_MODULE'], letters: 'P   M    W  O' });
    expect(decodeTaint(2 ** 20).unknownBits).toEqual([20]);
    expect(() => decodeTaint('16; rm -rf /')).toThrow(RangeError);
    expect(() => decodeTaint(-1)).toThrow(RangeError);
  });

  it('reads "Not tainted" from a recorded oops line', () => {
    const line = loadFixture('6.1.0-56-amd64', 'sysrq-crash').console.find((record) => record.text.startsWith('CPU: '))?.text ?? '';
    expect(line).toContain('Not tainted');
    expect(taintFromLine(line)?.value).toBe(0);
  });

  it('reads the column form and the 6.12 verbose form of the same mask', () => {
    for (const mask of [16, 16 + 512, 1 + 32 + 4096 + 8192, 2 ** 18]) {
      expect(taintFromLine(`CPU: 1 UID: 0 PID: 9 Comm: sh Tainted: ${formatTaintLetters(mask).padEnd(19)} 6.12.117+deb12-amd64 #1`)?.value).toBe(mask);
      const names = decodeTaint(mask).flags.map((name) => `[${TAINT_FLAGS.find((flag) => flag.name === name)?.letter}]=${name}`);
      expect(taintFromLine(`Tainted: ${names.join(', ')}`)?.value).toBe(mask);
    }
    expect(taintFromLine('Memory failure: 0x1: recovery action for free buddy page: Recovered')).toBeNull();
  });
});
