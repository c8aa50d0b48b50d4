/**
 * A strict KTAP v1 checker for the tests, written from Documentation/dev-tools/ktap.rst:
 * version line first at every level, the plan right after it, results numbered from 1 by 1,
 * as many results as the plan says, two-space indentation per level with every subtest
 * followed by its parent's result line, no "#" in a description, known directives only (and
 * TIMEOUT/ERROR on "not ok"), a parent failing when a subtest fails. Stricter than the spec in
 * one way: "unknown lines" are rejected, since memharness never needs to print any.
 */

export const KTAP_DIRECTIVES = ['SKIP', 'TODO', 'XFAIL', 'TIMEOUT', 'ERROR'] as const;

export interface KtapResult {
  ok: boolean;
  number: number;
  description: string;
  /** A known directive keyword, when the data after "#" starts with one. */
  directive?: (typeof KTAP_DIRECTIVES)[number];
  /** Everything after "#" (directive included). */
  data?: string;
  diagnostics: string[];
  subtests?: KtapLevel;
}

export interface KtapLevel {
  plan: number;
  results: KtapResult[];
  /** The lines of this level and below, de-indented to column 0 (for a TAP parser). */
  source: string[];
}

export class KtapError extends Error {}

const RESULT = /^(ok|not ok) (\d+)(?: ([^#]*?))?(?: ?# ?(.*))?$/;

function indentOf(line: string): number {
  const match = /^ */.exec(line)!;
  return match[0].length;
}

export function checkKtap(text: string): KtapLevel {
  if (!text.endsWith('\n')) throw new KtapError('output does not end with a newline');
  const lines = text.slice(0, -1).split('\n');
  const state = { index: 0 };
  const level = parseLevel(lines, state, 0);
  if (state.index !== lines.length) throw new KtapError(`line ${state.index + 1}: unexpected ${JSON.stringify(lines[state.index])} after the top-level results`);
  return level;
}

function fail(lineIndex: number, problem: string, line?: string): never {
  throw new KtapError(`line ${lineIndex + 1}: ${problem}${line === undefined ? '' : `: ${JSON.stringify(line)}`}`);
}

function parseLevel(lines: string[], state: { index: number }, depth: number): KtapLevel {
  const indent = ' '.repeat(depth * 2);
  const first = state.index;
  if (lines[state.index] !== `${indent}KTAP version 1`) fail(state.index, `expected "${indent}KTAP version 1"`, lines[state.index]);
  state.index++;
  const planMatch = new RegExp(`^${indent}1\\.\\.(\\d+)$`).exec(lines[state.index] ?? '');
  if (!planMatch) fail(state.index, 'expected a plan line right after the version line', lines[state.index]);
  const plan = Number(planMatch[1]);
  state.index++;

  const results: KtapResult[] = [];
  let diagnostics: string[] = [];
  let pendingSubtests: KtapLevel | undefined;
  while (state.index < lines.length) {
    const line = lines[state.index]!;
    const lineIndent = indentOf(line);
    if (lineIndent % 2 !== 0) fail(state.index, 'indentation is not a multiple of two spaces', line);
    if (lineIndent > indent.length) {
      if (lineIndent !== indent.length + 2) fail(state.index, 'a subtest is indented by more than one level', line);
      if (pendingSubtests) fail(state.index, 'two subtest blocks without a result line between them', line);
      pendingSubtests = parseLevel(lines, state, depth + 1);
      continue;
    }
    if (lineIndent < indent.length) break;
    const body = line.slice(indent.length);
    if (body.startsWith('#')) {
      if (body.length > 1 && !body.startsWith('# ')) fail(state.index, 'a diagnostic line is "# " then text', line);
      diagnostics.push(body.slice(2));
      state.index++;
      continue;
    }
    const match = RESULT.exec(body);
    if (!match) fail(state.index, 'not a KTAP line', line);
    const ok = match[1] === 'ok';
    const number = Number(match[2]);
    if (number !== results.length + 1) fail(state.index, `test number ${number}, expected ${results.length + 1}`, line);
    const description = match[3] ?? '';
    const data = match[4];
    const keyword = data?.split(' ')[0];
    const directive = KTAP_DIRECTIVES.find((known) => known === keyword);
    if ((directive === 'TIMEOUT' || directive === 'ERROR') && ok) fail(state.index, `${directive} must be on a "not ok" line`, line);
    if (pendingSubtests && ok) {
      const failing = pendingSubtests.results.find((sub) => !sub.ok && sub.directive !== 'SKIP');
      if (failing) fail(state.index, `the parent passes although subtest ${failing.number} failed`, line);
    }
    const result: KtapResult = { ok, number, description, diagnostics };
    if (directive) result.directive = directive;
    if (data !== undefined) result.data = data;
    if (pendingSubtests) result.subtests = pendingSubtests;
    results.push(result);
    diagnostics = [];
    pendingSubtests = undefined;
    state.index++;
  }
  if (pendingSubtests) fail(state.index, 'a subtest block is not followed by its result line');
  if (results.length !== plan) fail(state.index - 1, `the plan says ${plan} tests, ${results.length} results follow`);
  return { plan, results, source: lines.slice(first, state.index).map((line) => line.slice(indent.length)) };
}

/** Every level of the tree, top first (for checking each with a TAP parser). */
export function allLevels(level: KtapLevel): KtapLevel[] {
  return [level, ...level.results.flatMap((result) => (result.subtests ? allLevels(result.subtests) : []))];
}
