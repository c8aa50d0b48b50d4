import { describe, expect, it } from 'vitest';
import { capLines, capText } from './cap-text.ts';
import { escapeControl } from './escape-text.ts';
import { formatDuration } from './format-duration.ts';

describe('escapeControl', () => {
  it('makes terminal escapes, NUL, DEL and C1 controls visible', () => {
    expect(escapeControl('a\x1b[2Jb\x00c\x7fd\x9be\x07')).toBe('a\\x1b[2Jb\\x00c\\x7fd\\x9be\\x07');
  });

  it('keeps line breaks and tabs only in multi-line text, folding CRLF', () => {
    expect(escapeControl('a\r\nb\tc\rd')).toBe('a\\x0d\\x0ab\\x09c\\x0dd');
    expect(escapeControl('a\r\nb\tc\rd', { multiline: true })).toBe('a\nb\tc\\x0dd');
  });

  it('shows bidi overrides, zero-width characters and lone surrogates', () => {
    expect(escapeControl('x\u202ey\u200bz\ufeff')).toBe('x\\u{202e}y\\u{200b}z\\u{feff}');
    expect(escapeControl('a\ud800b')).toBe('a\\u{d800}b');
    expect(escapeControl('emoji 😀 kept, ünïcode kept')).toBe('emoji 😀 kept, ünïcode kept');
  });
});

describe('capping', () => {
  it('says how much was left out', () => {
    expect(capText('abcdef', 10)).toBe('abcdef');
    expect(capText('abcdef', 4)).toBe('abcd… (2 more characters)');
    expect(capLines('1\n2\n3\n4', 2)).toBe('… (2 earlier lines)\n3\n4');
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0ms'],
    [850, '850ms'],
    [12_345, '12.3s'],
    [185_000, '3m 05s'],
    [3_720_000, '1h 02m'],
    [Number.NaN, '?'],
  ])('%d ms is %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
