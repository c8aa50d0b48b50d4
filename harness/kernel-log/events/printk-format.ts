/**
 * Turns a printk format string into an anchored regular expression, so each event pattern
 * is written as the kernel's own format (copied from the source, checked against the
 * Debian vmlinux) rather than as a hand-made regex that drifts from it.
 *
 * Conversions map to capture groups, in order: hex (%x, %lx, %#lx, %016Lx...), decimal
 * (%d, %ld, %u...), text (%s, %pS, %pGp: lazy, so the literal text after it decides), CPU
 * lists (%*pbl). "%%" is a literal percent sign.
 */
const CONVERSION = /%(%|[-#0 +]*\*?\d*(?:\.\d+)?(?:hh|h|ll|l|L|z|t|j)?(?:p[A-Za-z]+|[diouxXsc]))/g;

export function printkFormatToRegex(format: string): RegExp {
  const body = format.replace(/\n$/, '');
  let source = '';
  let last = 0;
  for (const match of body.matchAll(CONVERSION)) {
    source += escapeRegex(body.slice(last, match.index));
    source += conversionRegex(match[1] ?? '');
    last = (match.index ?? 0) + match[0].length;
  }
  source += escapeRegex(body.slice(last));
  // Records keep trailing blanks of pr_cont'ed pieces ("MISC 8c "); they carry no meaning.
  return new RegExp(`^${source.replace(/(?:\\ |\s)+$/, '')}\\s*$`);
}

function conversionRegex(spec: string): string {
  if (spec === '%') return '%';
  if (spec.endsWith('pbl')) return '([0-9,-]*)';
  if (/p[A-Za-z]+$/.test(spec) || spec.endsWith('s')) return '(.*?)';
  if (spec.endsWith('c')) return '(.)';
  if (/[xX]$/.test(spec)) return spec.includes('#') ? '((?:0x)?[0-9a-fA-F]+)' : '([0-9a-fA-F]+)';
  if (spec.endsWith('u') || spec.endsWith('o')) return '(\\d+)';
  return '(-?\\d+)';
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
