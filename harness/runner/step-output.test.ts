import { describe, expect, it } from 'vitest';
import { capStepOutput, STEP_OUTPUT_MAX_BYTES, stepOutputOf } from './step-output.ts';

describe('capStepOutput', () => {
  it('keeps short output as it is, lines and tabs included', () => {
    expect(capStepOutput('Node 0, zone   Normal\n\tpages free 1234\n')).toBe('Node 0, zone   Normal\n\tpages free 1234\n');
    expect(capStepOutput('')).toBe('');
  });

  it('shows control characters other than \\n and \\t as escapes, folding CRLF', () => {
    expect(capStepOutput('a\x1b[2Jb\x00c\r\nd\re\x07\u202ef\x9b')).toBe('a\\x1b[2Jb\\x00c\nd\\x0de\\x07\\u{202e}f\\x9b');
  });

  it('keeps the head and the tail around a marked cut, within the cap', () => {
    const text = `${'h'.repeat(6000)}${'m'.repeat(10_000)}${'t'.repeat(6000)}`;
    const capped = capStepOutput(text);
    expect(capped).toBe(`${'h'.repeat(4096)}\n… [13808 bytes cut] …\n${'t'.repeat(4096)}`);
    expect(capStepOutput('0123456789abcdef', 8)).toBe('0123\n… [8 bytes cut] …\ncdef');
    expect(Buffer.byteLength(capped.replace(/\n… \[\d+ bytes cut\] …\n/, ''))).toBe(STEP_OUTPUT_MAX_BYTES);
  });

  it('counts bytes, and never cuts inside a character', () => {
    // "é" is 2 bytes, "😀" 4: the head and the tail shrink to whole characters.
    expect(capStepOutput('éééééééé', 8)).toBe('éé\n… [8 bytes cut] …\néé');
    expect(capStepOutput('a😀b😀c😀d', 8)).toBe('a\n… [14 bytes cut] …\nd');
    expect(capStepOutput('ééé', 6)).toBe('ééé');
  });

  it('caps the escaped text, so escapes cannot make it grow past the cap', () => {
    const capped = capStepOutput('\x00'.repeat(10_000), 16);
    expect(capped).toBe('\\x00\\x00\n… [39984 bytes cut] …\n\\x00\\x00');
  });
});

describe('stepOutputOf', () => {
  it('keeps a command\'s exit status and its non-empty output, capped and escaped', () => {
    expect(stepOutputOf({ ok: false, exit: 1, stdout: '', stderr: 'cat: can\'t open \'/sys/x\': No such file\x1b[0m\n', summary: '`cat /sys/x` exited 1' })).toEqual({
      exit: 1,
      stderr: 'cat: can\'t open \'/sys/x\': No such file\\x1b[0m\n',
    });
    expect(stepOutputOf({ ok: true, exit: null, stdout: 'x'.repeat(20_000), summary: '' }).stdout).toMatch(/^x{4096}\n… \[11808 bytes cut\] …\nx{4096}$/);
  });

  it('adds nothing for a step that ran no command', () => {
    expect(stepOutputOf({ ok: true, summary: 'slept 100 ms' })).toEqual({});
  });
});
