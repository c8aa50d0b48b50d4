import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';
import type { SourceLocation, SuiteProblem } from './problems.ts';

/** A path into the parsed data: map keys and sequence indexes, as zod reports them. */
export type DataPath = readonly PropertyKey[];

/**
 * A parsed suite file that still knows where every value came from, so a problem found in
 * the plain data (by zod, or by a cross-reference check) is reported at its line and column.
 */
export class YamlSource {
  private constructor(
    readonly file: string,
    readonly text: string,
    private readonly doc: Document.Parsed,
    private readonly lines: LineCounter,
  ) {}

  /** Parses one YAML document; syntax errors come back as problems, never as exceptions. */
  static parse(file: string, text: string): { source: YamlSource; data: unknown; problems: SuiteProblem[] } {
    const lines = new LineCounter();
    // Merge keys (`<<: *defaults`) let suites share a guest or a step list without copying it.
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, merge: true, uniqueKeys: true });
    const source = new YamlSource(file, text, doc, lines);
    const problems = source.syntaxProblems();
    if (problems.length > 0) return { source, data: undefined, problems };
    const unresolved = source.unresolvedAliases();
    if (unresolved.length > 0) return { source, data: undefined, problems: unresolved };
    try {
      return { source, data: doc.toJS({ maxAliasCount: 1000 }), problems: [] };
    } catch (error) {
      return { source, data: undefined, problems: [source.problemAt(0, `cannot read the YAML: ${error instanceof Error ? error.message : String(error)}`)] };
    }
  }

  /** Where the value at `path` is; with `part: 'key'` the key of the last segment (for "unknown key"). Missing parts fall back to the nearest existing ancestor. */
  locate(path: DataPath, part: 'value' | 'key' = 'value'): SourceLocation {
    const found = this.resolve(path);
    const node = part === 'key' && found.keyNode && found.complete ? found.keyNode : found.node;
    return this.location(node?.range?.[0] ?? 0);
  }

  /** True when every segment of `path` exists in the document. */
  has(path: DataPath): boolean {
    return this.resolve(path).complete;
  }

  /** The source text of the value at `path` (for reporting an expectation as written). */
  textAt(path: DataPath): string {
    const { node, complete } = this.resolve(path);
    if (!complete || !node?.range) return '';
    return this.text.slice(node.range[0], node.range[1]).trim();
  }

  problemAt(offset: number, message: string): SuiteProblem {
    return { ...this.location(offset), message };
  }

  private location(offset: number): SourceLocation {
    const { line, col } = this.lines.linePos(offset);
    return { file: this.file, line, column: col };
  }

  private resolve(path: DataPath): { node: Node | null; keyNode: Node | null; complete: boolean } {
    let node: Node | null = this.deref(this.doc.contents);
    let keyNode: Node | null = null;
    for (const segment of path) {
      if (isMap(node)) {
        const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment));
        if (!pair) return { node, keyNode: null, complete: false };
        keyNode = isScalar(pair.key) ? pair.key : null;
        const value = this.deref(pair.value as Node | null);
        // `key:` with no value has no node of its own; the key is the best place to point at.
        node = value ?? keyNode;
      } else if (isSeq(node) && typeof segment === 'number') {
        const item = this.deref(node.items[segment] as Node | undefined ?? null);
        if (!item) return { node, keyNode: null, complete: false };
        keyNode = null;
        node = item;
      } else {
        return { node, keyNode: null, complete: false };
      }
    }
    return { node, keyNode, complete: true };
  }

  private deref(node: Node | null | undefined): Node | null {
    if (node && isAlias(node)) return (node.resolve(this.doc) as Node | undefined) ?? node;
    return node ?? null;
  }

  private syntaxProblems(): SuiteProblem[] {
    const problems: SuiteProblem[] = [];
    const linesWithError = new Set<number>();
    for (const error of [...this.doc.errors, ...this.doc.warnings]) {
      const offset = error.pos[0];
      const location = this.location(offset);
      // One broken token makes the parser stumble over the rest of its line; the first error is the useful one.
      if (linesWithError.has(location.line)) continue;
      linesWithError.add(location.line);
      problems.push({ ...location, message: describeYamlError(error.code, error.message, this.lineText(location.line)) });
    }
    return problems;
  }

  private unresolvedAliases(): SuiteProblem[] {
    const problems: SuiteProblem[] = [];
    visit(this.doc, {
      Alias: (_key, alias) => {
        if (alias.resolve(this.doc) === undefined) {
          problems.push(this.problemAt(alias.range?.[0] ?? 0, `YAML alias *${alias.source} has no anchor &${alias.source} before it`));
        }
      },
    });
    return problems;
  }

  private lineText(line: number): string {
    const start = this.lines.lineStarts[line - 1] ?? 0;
    const end = this.lines.lineStarts[line] ?? this.text.length;
    return this.text.slice(start, end);
  }
}

/** The parser's first line, without its own position, plus a hint for the two traps suites fall into. */
function describeYamlError(code: string, message: string, line: string): string {
  if (code === 'MULTIPLE_DOCS') return 'YAML syntax: a suite file holds one document; remove the second `---`';
  const first = (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?\s*$/, '');
  let hint = '';
  if (/:\s*[>]=?\s*\d/.test(line) || /[{,]\s*\w+:\s*>/.test(line)) hint = " (a version range starting with '>' must be quoted: '>=6.12')";
  else if (line.includes('${') && /[{[]/.test(line)) hint = " (inside { } or [ ], quote a ${parameter}: '${method}')";
  else if (code === 'BLOCK_AS_IMPLICIT_KEY' || /Nested mappings are not allowed/.test(first)) hint = " (quote a value that contains ': ', such as a shell command)";
  return `YAML syntax: ${first}${hint}`;
}
