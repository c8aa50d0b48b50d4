/**
 * Long text (an oops, an `actual` value dumped as JSON) must not flood a terminal, a CI log
 * or an XML attribute. Capping says how much was left out, so nobody mistakes a cut text for
 * the whole of it.
 */
export function capText(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  return `${text.slice(0, maxChars)}… (${text.length - maxChars} more characters)`;
}

/** Keeps the last lines (the end of an oops or a console is where the answer usually is). */
export function capLines(text: string, maxLines: number): string {
  const lines = text.split('\n');
  if (lines.length <= maxLines) return text;
  return [`… (${lines.length - maxLines} earlier lines)`, ...lines.slice(-maxLines)].join('\n');
}

