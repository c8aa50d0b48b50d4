/**
 * Guest output is untrusted: a console line can carry terminal escape sequences (which would
 * repaint the user's terminal), bytes that XML 1.0 forbids (which would make junit.xml
 * unloadable) or bidi overrides (which make text read differently from what it is). Every
 * renderer passes such text through here so those characters show as visible `\xNN` / `\u{...}`
 * escapes instead of acting.
 */
const C0_C1_DEL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/gu;
const C0_C1_DEL_AND_LINES = /[\u0000-\u001f\u007f-\u009f]/gu;
// Bidi controls (Trojan Source), zero-width joiners that hide text, BOM, and lone surrogates
// (which JSON, XML and HTML all reject or mangle).
const INVISIBLE = /[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/gu;

function hex(char: string): string {
  const code = char.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
}

export interface EscapeOptions {
  /** Keep "\n" and "\t" as they are (multi-line blocks); otherwise they are escaped too. */
  multiline?: boolean;
}

export function escapeControl(text: string, options: EscapeOptions = {}): string {
  const controls = options.multiline ? C0_C1_DEL : C0_C1_DEL_AND_LINES;
  return text.replace(/\r\n/g, options.multiline ? '\n' : '\r\n').replace(controls, hex).replace(INVISIBLE, hex);
}
