import type { KernelEvent } from './kernel-event.ts';
import { printkFormatToRegex } from './printk-format.ts';

/** The Debian kernel series the harness tests; each pattern says in which it exists. */
export type KernelSeries = '6.1' | '6.12';

/**
 * One kernel message format and how to turn it into an event. Entries are data: `format`
 * is the printk format as in the kernel source (with its pr_fmt prefix applied), and
 * `seenIn` lists the Debian builds (6.1.0-56, 6.12.117) whose vmlinux contains that exact
 * format string, checked with strings(1). `fields` names the conversions in order.
 */
export interface EventPattern {
  format: string;
  seenIn: readonly KernelSeries[];
  fields: readonly string[];
  build: (fields: Readonly<Record<string, string>>) => KernelEvent | null;
  /** Only where the format alone cannot describe the text (pr_cont continuations). */
  regex?: RegExp;
}

/** All formats printed by one kernel source file. */
export interface EventPatternTable {
  /** Path in the kernel tree; "a (6.1) / b (6.12)" when the code moved. */
  source: string;
  patterns: readonly EventPattern[];
}

export interface CompiledPattern {
  table: EventPatternTable;
  pattern: EventPattern;
  regex: RegExp;
}

export function compileTable(table: EventPatternTable): CompiledPattern[] {
  return table.patterns.map((pattern) => ({ table, pattern, regex: pattern.regex ?? printkFormatToRegex(pattern.format) }));
}

/** The named fields of a match, or null when the text does not have this format. */
export function matchFields(compiled: CompiledPattern, text: string): Record<string, string> | null {
  const match = compiled.regex.exec(text);
  if (!match) return null;
  if (compiled.pattern.regex && match.groups) return { ...match.groups };
  const fields: Record<string, string> = {};
  compiled.pattern.fields.forEach((name, index) => {
    fields[name] = match[index + 1] ?? '';
  });
  return fields;
}
