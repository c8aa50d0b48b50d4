/**
 * A crash title with everything that differs between two occurrences of the same bug made
 * generic, so titles compare equal across boots, CPUs, processes and kernel builds:
 * addresses and hex words (8+ digits, or 4+ mixing digits and a-f) → ADDR, durations → NUMs, "+0x1a/0x2b" → +OFF, file line numbers → LINE,
 * "[123]", "#1", CPU and PID numbers and any other decimal number → NUM, compiler clone
 * suffixes (.isra.0, .cold) dropped.
 */
export function normaliseTitle(title: string): string {
  return title
    .replace(/\+0x[0-9a-f]+\/0x[0-9a-f]+/gi, '+OFF')
    .replace(/\b0x[0-9a-f]+\b/gi, 'ADDR')
    .replace(/\b(?=[0-9a-f]*\d)[0-9a-f]{8,}\b/gi, 'ADDR')
    .replace(/\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{4,}\b/gi, 'ADDR')
    .replace(/\b\d+(s|ms|us|ns)\b/g, 'NUM$1')
    .replace(/([A-Za-z0-9_/.-]+\.[chS]):\d+(?::\d+)?/g, '$1:LINE')
    .replace(/\[\s*#?\d+\]/g, '[NUM]')
    .replace(/#\d+/g, '#NUM')
    .replace(/([A-Za-z0-9_.-]+):\d+\b/g, '$1:NUM')
    .replace(/(\.(?:cold|isra|constprop|part|llvm|lto_priv)(?:\.\d+)*)+\b/g, '')
    .replace(/\b\d+\b/g, 'NUM')
    .replace(/\s+/g, ' ')
    .trim();
}
