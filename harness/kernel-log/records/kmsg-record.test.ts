import { describe, expect, it } from 'vitest';
import { FIXTURE_KERNELS, fixtureScenarios, loadFixture } from '../fixtures/load-fixture.ts';
import { kmsgToLogRecord, parseKmsgRecord, unescapeKmsg } from './kmsg-record.ts';
import { KmsgSplitter, splitKmsgText } from './kmsg-splitter.ts';

describe('parseKmsgRecord', () => {
  it('reads level, facility, seq, time, flags and unescapes \\xNN (recorded 6.12 boot record)', () => {
    const record = parseKmsgRecord('6,311,1965234,-;ACPI: \\x5c_SB_.LNKB: Enabled at IRQ 10');
    expect(record).toMatchObject({ seq: 311, level: 6, facility: 0, kernelTimeUs: 1965234, flags: '-', text: 'ACPI: \\_SB_.LNKB: Enabled at IRQ 10' });
  });

  it('splits the first field into facility and level (a userspace write is facility 1)', () => {
    const record = parseKmsgRecord('14,375,6016102,-;memharness-mark: begin-x');
    expect(record).toMatchObject({ facility: 1, level: 6, text: 'memharness-mark: begin-x' });
  });

  it('keeps device properties from continuation lines and extra header fields', () => {
    const record = parseKmsgRecord('6,322,2139854,-,caller=T1;rtc_cmos 00:04: registered as rtc0\n SUBSYSTEM=pnp\n DEVICE=+pnp:00:04');
    expect(record?.dict).toEqual({ SUBSYSTEM: 'pnp', DEVICE: '+pnp:00:04' });
    expect(record?.extraFields).toEqual(['caller=T1']);
    expect(record?.text).toBe('rtc_cmos 00:04: registered as rtc0');
  });

  it('turns an escaped newline into a multi-line text and rejects what is not a record', () => {
    expect(parseKmsgRecord('4,9,10,-;first\\x0asecond')?.text).toBe('first\nsecond');
    expect(parseKmsgRecord('@memharness-kmsg pid=12')).toBeNull();
    expect(parseKmsgRecord('6,1,2,-;text\nnot a continuation')).toBeNull();
    expect(unescapeKmsg('\\xc3\\xa9')).toBe('\u00c3\u00a9');
  });

  it('maps to a LogRecord without inventing fields', () => {
    const record = parseKmsgRecord('3,377,6154341,-;Memory failure: 0x60000: recovery action for free buddy page: Recovered');
    expect(record && kmsgToLogRecord(record, 1234)).toEqual({
      source: 'kmsg',
      seq: 377,
      kernelTimeUs: 6154341,
      level: 3,
      hostMs: 1234,
      text: 'Memory failure: 0x60000: recovery action for free buddy page: Recovered',
    });
  });
});

describe('KmsgSplitter', () => {
  it('cuts a stream at any chunk boundary into the same records', () => {
    const text = loadFixture('6.12.117+deb12-amd64', 'boot').kmsgText;
    const whole = splitKmsgText(text);
    for (const size of [1, 7, 64, 4096]) {
      const records: string[] = [];
      const splitter = new KmsgSplitter((raw) => records.push(raw));
      for (let offset = 0; offset < text.length; offset += size) splitter.push(text.slice(offset, offset + size));
      splitter.end();
      expect(records).toEqual(whole);
    }
  });

  it('hands out other lines separately and flushes a quiet last record', () => {
    const records: string[] = [];
    const other: string[] = [];
    const splitter = new KmsgSplitter((raw) => records.push(raw), (line) => other.push(line));
    splitter.push('@memharness-kmsg pid=7\n6,1,2,-;a\n');
    expect(records).toEqual([]);
    splitter.flushIfLineComplete();
    expect(records).toEqual(['6,1,2,-;a']);
    expect(other).toEqual(['@memharness-kmsg pid=7']);
  });
});

describe.each(FIXTURE_KERNELS)('recorded /dev/kmsg of %s', (kernel) => {
  it.each(fixtureScenarios(kernel))('%s: every record parses, in seq order', (scenario) => {
    const fixture = loadFixture(kernel, scenario);
    const seqs = fixture.kmsgRecords.map((record) => record.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(fixture.kmsgRecords.map((record) => `${record.raw}\n`).join('')).toBe(fixture.kmsgText);
  });

  it('boot: the first read returned the ring buffer from its first record', () => {
    const boot = loadFixture(kernel, 'boot');
    expect(boot.kmsgRecords[0]).toMatchObject({ seq: 0, kernelTimeUs: 0, level: 5 });
    expect(boot.kmsgRecords[0]?.text).toMatch(/^Linux version /);
    expect(boot.kmsgRecords.some((record) => record.dict['SUBSYSTEM'] === 'pnp')).toBe(true);
  });
});
