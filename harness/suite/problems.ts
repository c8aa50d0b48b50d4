/** Where something is in a suite file; line and column count from 1, as editors do. */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

/** One thing wrong with a suite, found before any guest boots. */
export interface SuiteProblem extends SourceLocation {
  message: string;
}

/** `file:line:col: message`, the shape editors and CI annotators jump to. */
export function formatProblem(problem: SuiteProblem): string {
  return `${formatLocation(problem)}: ${problem.message}`;
}

export function formatLocation(location: SourceLocation): string {
  return `${location.file}:${location.line}:${location.column}`;
}

/** Same place and same words count once: parameter expansion repeats template errors. */
export function dedupeProblems(problems: readonly SuiteProblem[]): SuiteProblem[] {
  const seen = new Set<string>();
  const out: SuiteProblem[] = [];
  for (const problem of problems) {
    const key = formatProblem(problem);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(problem);
  }
  return out.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
}
