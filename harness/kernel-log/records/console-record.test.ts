import { describe, expect, it } from 'vitest';
import { FIXTURE_KERNELS, loadFixture } from '../fixtures/load-fixture.ts';
import { formatConsoleLogLine, parseConsoleLine, parseConsoleLog } from './console-record.ts';

describe('parseConsoleLine', () => {
  it('reads the printk time prefix', () => {
    expect(parseConsoleLine('[    6.154341] Memory failure: 0x60000: recovery action for free buddy page: Recovered', 6500)).toEqual([
      { source: 'console', kernelTimeUs: 6_154_341, hostMs: 6500, text: 'Memory failure: 0x60000: recovery action for free buddy page: Recovered' },
    ]);
  });

  it('keeps a line without a prefix as userspace output', () => {
    expect(parseConsoleLine('memharness-init: ready ssh=1')).toEqual([{ source: 'console', text: 'memharness-init: ready ssh=1' }]);
  });

  it('splits a shell prompt from the kernel message printed after it (seen on a real 6.12 console)', () => {
    expect(parseConsoleLine('memharness:/# \x1b[6n[    5.204364] sh (185): drop_caches: 1\r')).toEqual([
      { source: 'console', text: 'memharness:/# \x1b[6n' },
      { source: 'console', kernelTimeUs: 5_204_364, text: 'sh (185): drop_caches: 1' },
    ]);
  });

  it('accepts a caller id, a level prefix, wide seconds and CRs', () => {
    expect(parseConsoleLine('\r<4>[123456.000001][    T1] x\r\r')).toEqual([{ source: 'console', level: 4, kernelTimeUs: 123_456_000_001, text: 'x' }]);
  });
});

describe('parseConsoleLog', () => {
  it('reads the harness console.log format back, host time included', () => {
    const line = formatConsoleLogLine(6352, '[    6.068097] memharness-mark: begin-hwpoison-free-page#4846.1');
    expect(line).toBe('[    6.352] [    6.068097] memharness-mark: begin-hwpoison-free-page#4846.1');
    expect(parseConsoleLog(`${line}\n`)).toEqual([{ source: 'console', hostMs: 6352, kernelTimeUs: 6_068_097, text: 'memharness-mark: begin-hwpoison-free-page#4846.1' }]);
  });

  it.each(FIXTURE_KERNELS)('%s boot console: kernel lines carry kernel times, the init lines do not', (kernel) => {
    const records = loadFixture(kernel, 'boot').console;
    const init = records.filter((record) => record.text.startsWith('memharness-init:'));
    expect(init.length).toBeGreaterThan(0);
    expect(init.every((record) => record.kernelTimeUs === undefined && record.hostMs !== undefined)).toBe(true);
    expect(records[0]?.text).toMatch(/^Linux version /);
    expect(records.filter((record) => record.kernelTimeUs !== undefined).length).toBeGreaterThan(300);
  });
});
