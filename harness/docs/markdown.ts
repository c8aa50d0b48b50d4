/** The little Markdown the generated reference tables need (GitHub-flavoured tables). */

/** A table cell: a pipe would end the cell, even inside backticks, and a newline the row. */
export function cell(text: string): string {
  return text.replace(/\r?\n/g, ' ').replace(/(?<!\\)\|/g, '\\|');
}

export function code(text: string): string {
  return `\`${text}\``;
}

export function codeList(items: readonly string[], separator = ', '): string {
  return items.map(code).join(separator);
}

export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.map(cell).join(' | ')} |`;
  return [line(headers), `|${headers.map(() => '---').join('|')}|`, ...rows.map(line)].join('\n');
}

/** Milliseconds as a suite writes a duration: 500ms, 30s, 2m. */
export function duration(ms: number): string {
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
